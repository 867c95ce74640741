// The `monban` command as a user runs it: a real child process, real files.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../bin/monban.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'monban-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function monban(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [bin, ...args]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

const site = `version: 1
areas: [{id: office}]
doors: [{id: entrance, from: outside, to: office, mode: card+pin}]
levels: [{id: staff, doors: [entrance]}]
people:
  - {id: alice, levels: [staff], credentials: [{type: card, id: C-1, pin: "9513"}]}
timeline:
  - at: "2026-01-05T09:00"
    present: {door: entrance, side: in, credential: "card:C-1", pin: "9513"}
    expect: {result: grant}
  - at: "2026-01-05T09:01"
    present: {door: entrance, side: out, credential: "card:C-1", pin: "0000"}
    expect: {result: grant}
  - at: "2026-01-05T09:02"
    present: {door: entrance, side: out, credential: "card:C-1", pin: "9513"}
    expect: {result: grant}
`;

describe('monban scenario run', () => {
  it('passes a good scenario with exit code 0', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      site.replace(
        'pin: "0000"}\n    expect: {result: grant}',
        'pin: "0000"}\n    expect: {result: deny, reason: wrong_pin}',
      ),
    );
    const { code, out } = await monban('scenario', 'run', file);
    expect(code).toBe(0);
    expect(out).toContain('scenarios: 1 passed, 0 failed');
  });

  it('stops at the first mismatch with the step, the actual decision and its trace, and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, site);
    const { code, out } = await monban('scenario', 'run', file);
    expect(code).toBe(1);
    expect(out).toContain('bad.yaml:11: step 2');
    expect(out).toContain('expected result grant, got deny');
    expect(out).toContain('fail factors');
    expect(out).not.toContain('2026-01-05T09:02'); // stopped at the first mismatch
    expect(out).not.toContain('9513'); // typed PINs never printed
  });

  it('rejects a malformed file naming the line', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, site.replace('to: office, mode', 'too: office, mode'));
    const { code, out } = await monban('scenario', 'run', file);
    expect(code).toBe(1);
    expect(out).toMatch(/broken\.yaml:3: doors\[0\]: unknown key "too"/);
  });

  it('demo runs the reference site', async () => {
    const { code, out } = await monban('demo');
    expect(code).toBe(0);
    expect(out).toContain('PASS');
  });
});

describe('monban audit verify', () => {
  it('reports an intact log once checkpointed, then names the tampered record and exits 1', {
    timeout: 90_000,
  }, async () => {
    const { openStore } = await import('../src/server/storage/db.ts');
    const { AuditLog } = await import('../src/server/storage/audit-log.ts');
    const { sql } = await import('kysely');
    const dataDir = join(dir, 'data');
    const store = await openStore({ sqliteFile: join(dataDir, 'monban.db') });
    const { loadOrCreateInstallationKey } = await import('../src/server/storage/installation-key.ts');
    const { chainKeys } = await import('../src/server/storage/chain.ts');
    const log = new AuditLog(store.db, chainKeys(loadOrCreateInstallationKey(dataDir)).audit);
    for (let i = 0; i < 5; i++)
      await log.append({
        at: i,
        actor: 'admin',
        source: '127.0.0.1',
        action: 'person.create',
        target: `p${i}`,
        detail: {},
      });
    let result = await monban('audit', 'verify', '--data-dir', dataDir);
    expect(result).toMatchObject({ code: 1 });
    expect(result.out).toContain('no checkpoint found');
    const { anchorFileIn, anchorKeys, writeCheckpoint } = await import('../src/server/audit/anchors.ts');
    await writeCheckpoint(
      store.db,
      anchorKeys(loadOrCreateInstallationKey(dataDir)),
      anchorFileIn(dataDir),
      10,
    );
    result = await monban('audit', 'verify', '--data-dir', dataDir);
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toContain('audit log intact: 5 audit record(s)');
    await sql`UPDATE audit_log SET actor = 'intruder' WHERE id = 3`.execute(store.db);
    await store.close();
    result = await monban('audit', 'verify', '--data-dir', dataDir);
    expect(result.code).toBe(1);
    expect(result.out).toContain('audit: record #3 changed, reordered or forged after being written');
  });
});
