// `monban doctor` on a real deployment: `monban serve` (in-process, embedded broker over TLS) on a
// fresh data directory passes every check that does not depend on the host (the clock may warn
// without NTP); then a data directory opened to others, a changed audit record, a certificate near
// and past its end, an unreachable broker and a missing database each show as what they are, with
// the exit code monitoring expects (0 pass, 1 warnings, 2 failed).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../../src/server/audit/store.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { runDoctor } from '../../../src/server/doctor/checks.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { loadOrCreateInstallationKey } from '../../../src/server/storage/installation-key.ts';
import { freePort } from '../../support/fleet.ts';
import { cli } from '../backup/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-doctor-'));
const dataDir = join(dir, 'data');
let server: RunningServer | undefined;
const env = { MONBAN_DATA_DIR: dataDir, MONBAN_PORT: '0' };

beforeAll(async () => {
  const config = serverConfig({ ...env, MONBAN_MQTT_PORT: String(await freePort()) });
  server = await startServer(config, {
    logger: pino({ level: 'silent' }),
    env: {},
    print: () => {},
    background: false,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const statusOf = (results: { name: string; status: string }[]) =>
  Object.fromEntries(results.map((r) => [r.name, r.status]));

describe('monban doctor', () => {
  it('passes a fresh deployment while the server runs', async () => {
    const { code, out } = await cli(['doctor', '--data-dir', dataDir]);
    expect(out).toMatch(/PASS {2}data directory +.* owner-only/);
    expect(out).toMatch(/PASS {2}certificate +.*server\.crt valid until/);
    expect(out).toMatch(/PASS {2}database +sqlite, \d+ migration\(s\), all current, quick_check ok/);
    expect(out).toMatch(/PASS {2}broker +mqtts:\/\/.* reachable over TLS, certificate trusted/);
    expect(out).toMatch(/PASS {2}checkpoints/);
    expect(out).toMatch(/PASS {2}audit chains +intact/);
    expect(out).toMatch(/(PASS|WARN) {2}clock/);
    expect(out).not.toContain('FAIL');
    expect(out).toMatch(/\d+ passed, \d+ warning\(s\), 0 failed, 0 skipped/);
    expect([0, 1]).toContain(code);
  }, 60_000);

  it('names a certificate about to expire, and one expired', async () => {
    const config = serverConfig(env);
    const soon = await runDoctor({ config, quick: true, now: Date.now() + 820 * 86_400_000 });
    expect(soon.find((r) => r.name === 'certificate')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/expires in \d day/),
    });
    const past = await runDoctor({ config, quick: true, now: Date.now() + 900 * 86_400_000 });
    expect(past.find((r) => r.name === 'certificate')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('expired on'),
    });
  });

  it('fails an unreachable broker', async () => {
    const config = serverConfig({ ...env, MONBAN_MQTT_URL: `mqtt://127.0.0.1:${await freePort()}` });
    const results = await runDoctor({ config, quick: true, brokerTimeoutMs: 2_000 });
    expect(results.find((r) => r.name === 'broker')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('fails open permissions and a changed audit record, and exits 2', async () => {
    // A record on the chain, as `monban admin create` writes one; the server checkpoints it at stop.
    await recordAudit(server!.store.db, chainKeys(loadOrCreateInstallationKey(dataDir)).audit, {
      at: Date.now(),
      actor: 'cli',
      source: 'local',
      action: 'operator.create',
      target: 'operator:chief',
      detail: {},
    });
    await server?.close();
    server = undefined;
    const raw = new BetterSqlite3(join(dataDir, 'monban.db'));
    raw.prepare("UPDATE audit_log SET action = 'nothing.to.see' WHERE id = 1").run();
    raw.close();
    chmodSync(dataDir, 0o755);
    try {
      const { code, out } = await cli(['doctor', '--data-dir', dataDir]);
      expect(out).toMatch(/FAIL {2}data directory +readable by others: .*data is 0755/);
      expect(out).toMatch(/FAIL {2}audit chains +.*monban audit verify lists all/);
      expect(out).toMatch(/SKIP {2}broker +the embedded broker runs inside monban serve/);
      expect(code).toBe(2);
    } finally {
      chmodSync(dataDir, 0o700);
    }
  }, 60_000);

  it('fails a data directory without a database, and creates nothing', async () => {
    const empty = join(dir, 'empty');
    const results = await runDoctor({ config: serverConfig({ MONBAN_DATA_DIR: empty }) });
    expect(statusOf(results)).toMatchObject({ 'data directory': 'fail', database: 'fail' });
    const { existsSync } = await import('node:fs');
    expect(existsSync(empty)).toBe(false);
  });
});
