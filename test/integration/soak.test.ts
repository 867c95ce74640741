// The CI mode of `npm run soak` (scripts/soak.ts, docs/soak.md): three minutes of seeded chaos on a
// real Mosquitto, one server and four controllers as processes — SIGKILLs of controllers, the
// server and the broker, partitions and delays of single controllers, clock jumps — under steady
// card reads and revocations, then the verification from storage: no event lost or duplicated,
// every expected alarm raised once and cleared, every revocation arrived and held, no decision
// from a policy older than the site allows. Skipped, saying so, without the mosquitto binary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../scripts/soak/chaos.ts';
import { writeReport } from '../../scripts/soak/report.ts';
import { runSoak } from '../../scripts/soak/run.ts';
import { mosquittoAvailable } from '../support/fleet.ts';

const available = mosquittoAvailable();
if (!available)
  console.warn('soak test skipped: the mosquitto binary is not installed (apt-get install mosquitto)');

describe.skipIf(!available)('npm run soak, CI mode (3 minutes)', () => {
  const out = mkdtempSync(join(tmpdir(), 'monban-soak-report-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(
    'survives three minutes of faults with no event lost or duplicated and every check met',
    async () => {
      const log: string[] = [];
      const report = await runSoak({
        minutes: 3,
        controllers: 4,
        servers: 1,
        db: 'sqlite',
        seed: 1,
        readsPerSecond: 4,
        people: 40,
        revokeEverySeconds: 20,
        faults: FAULT_KINDS.filter((k) => k !== 'pg-terminate'),
        postgresUrl: undefined,
        keep: false,
        log: (line) => log.push(line),
      });
      const files = writeReport(out, report);
      if (!report.passed) console.error(`${log.join('\n')}\n${readFileSync(files.md, 'utf8')}`);
      expect(report.verification.violations).toEqual([]);
      expect(report.passed).toBe(true);
      // The run did what it claims: faults of several kinds, kills among them, reads stored.
      expect(report.kills.total).toBeGreaterThanOrEqual(5);
      expect(Object.keys(report.faults).length).toBeGreaterThanOrEqual(3);
      expect(report.verification.totals.stored).toBeGreaterThan(500);
      expect(report.verification.totals.lost).toBe(0);
      expect(report.verification.totals.duplicated).toBe(0);
      expect(report.verification.revocations.count).toBeGreaterThan(0);
      // The report holds the timeline and the checks.
      const json = JSON.parse(readFileSync(files.json, 'utf8'));
      expect(json.timeline).toHaveLength(report.timeline.length);
      expect(readFileSync(files.md, 'utf8')).toMatch(/^# Soak: passed/);
      console.info(
        `soak CI mode: ${report.kills.total} kills, ${report.faults['broker-kill'] ?? 0} broker outages, ${report.verification.totals.stored} events, 0 lost, 0 duplicated`,
      );
      // Three minutes of chaos plus start-up and settling: about 4 minutes idle, more when loaded.
    },
    8 * 60_000,
  );
});
