// The configuration baseline compare after maintenance (IPA g01): a site configured through the API,
// `monban baseline save`, then maintenance — a door's mode changed, a level added, a group deleted,
// an operator added, a setting changed — and `monban baseline compare` reports exactly those, field
// by field, exits 1, and holds no secret. Nothing changed: exit 0. A baseline edited to hide a change
// is refused.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../backup/run-cli.ts';
import { type Agent, type Harness, startHarness, strongPassword } from '../security/support/harness.ts';

let h: Harness;
let admin: Agent;

async function ok(call: Promise<{ statusCode: number; body: string }>) {
  const response = await call;
  if (response.statusCode >= 300) throw new Error(`${response.statusCode} ${response.body}`);
  return response;
}

beforeAll(async () => {
  h = await startHarness();
  ({ agent: admin } = await h.loggedInAdmin());
  await ok(admin.post('/api/areas', { id: 'office', name: 'Office' }));
  await ok(admin.post('/api/doors', { id: 'D1', name: 'East', fromArea: 'outside', toArea: 'office' }));
  await ok(admin.post('/api/access-levels', { id: 'staff', name: 'Staff', doors: ['D1'] }));
  await ok(admin.post('/api/groups', { id: 'temps', name: 'Temps', levels: ['staff'] }));
}, 60_000);

afterAll(async () => {
  delete process.env.MONBAN_HEARTBEAT_SECONDS;
  await h.close();
});

describe('monban baseline', () => {
  it('reports no change right after saving', async () => {
    const saved = await cli(['baseline', 'save', '--data-dir', h.dir, '--note', 'before maintenance']);
    expect(saved.out).toMatch(/baseline saved: .*baselines\/\d{8}T\d{6}Z\.json/);
    expect(saved.code).toBe(0);
    const compared = await cli(['baseline', 'compare', '--data-dir', h.dir]);
    expect(compared.out).toContain('no change');
    expect(compared.code).toBe(0);
  });

  it('reports what maintenance changed, field by field, and exits 1', async () => {
    await ok(admin.patch('/api/doors/D1', { mode: 'card+pin' }));
    await ok(admin.post('/api/access-levels', { id: 'night', name: 'Night', doors: ['D1'] }));
    await ok(admin.delete('/api/groups/temps'));
    const password = strongPassword();
    await ok(admin.post('/api/operators', { username: 'contractor', role: 'maintainer', password }));
    process.env.MONBAN_HEARTBEAT_SECONDS = '7';
    const { code, out } = await cli(['baseline', 'compare', '--data-dir', h.dir]);
    delete process.env.MONBAN_HEARTBEAT_SECONDS;
    expect(code).toBe(1);
    expect(out).toContain('  doors:\n    ~ D1\n        mode: "card" -> "card+pin"');
    expect(out).toContain('  levels:\n    + night (added)');
    expect(out).toContain('  groups:\n    - temps (removed)');
    expect(out).toContain('    + contractor (added)');
    expect(out).toContain('        MONBAN_HEARTBEAT_SECONDS: (none) -> "7"');
    expect(out).toMatch(/5 change\(s\) in 5 section\(s\)/);
    expect(out).not.toContain(password);

    const json = await cli(['baseline', 'compare', '--data-dir', h.dir, '--json']);
    const report = JSON.parse(json.out) as { sections: { section: string }[] };
    expect(report.sections.map((s) => s.section)).toEqual(['doors', 'levels', 'groups', 'operators']);
  });

  it('refuses a baseline edited after it was saved', async () => {
    const dir = join(h.dir, 'baselines');
    const file = join(dir, readdirSync(dir)[0]!);
    const text = readFileSync(file, 'utf8');
    // Hide the change: pretend D1 was card+pin all along.
    writeFileSync(file, text.replace('"mode": "card"', '"mode": "card+pin"'));
    const { code, out } = await cli(['baseline', 'compare', '--data-dir', h.dir, '--baseline', file]);
    expect(code).toBe(1);
    expect(out).toContain('the baseline was changed after it was saved');
  });
});
