// The installation key is created once with the CSPRNG, kept owner-only, and read back unchanged.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateInstallationKey } from '../../../src/server/storage/installation-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installation key', () => {
  it('is generated once, owner-only, and stable', () => {
    const first = loadOrCreateInstallationKey(join(dir, 'data'));
    expect(first).toHaveLength(32);
    expect(statSync(join(dir, 'data', 'installation.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateInstallationKey(join(dir, 'data'))).toEqual(first);
    expect(loadOrCreateInstallationKey(join(dir, 'other'))).not.toEqual(first);
  });
  it('refuses a damaged key file', () => {
    writeFileSync(join(dir, 'installation.key'), 'short');
    expect(() => loadOrCreateInstallationKey(dir)).toThrow(/damaged/);
  });
});
