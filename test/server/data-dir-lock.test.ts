// Rule: one process writes a data directory at a time. `monban serve` and a direct `monban import`
// hold its lock; a second one is refused naming the holder; a lock left by a process that is gone
// is taken over; the file is owner-only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLock, DataDirLocked, LOCK_FILE, lockHolder } from '../../src/server/data-dir-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data directory lock', () => {
  it('refuses a second holder, naming the first, until released', () => {
    const first = DataDirLock.acquire(dir, 'serve');
    first.update({ url: 'https://127.0.0.1:8443', caFile: '/x/server.crt' });
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(lockHolder(dir)).toMatchObject({ role: 'serve', pid: process.pid, url: 'https://127.0.0.1:8443' });
    let refused: unknown;
    try {
      DataDirLock.acquire(dir, 'import');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DataDirLocked);
    expect((refused as DataDirLocked).holder.role).toBe('serve');
    expect((refused as Error).message).toMatch(
      /monban serve \(pid \d+, https:\/\/127\.0\.0\.1:8443\) is running/,
    );
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    DataDirLock.acquire(dir, 'import').release();
  });

  it('takes over a lock left by a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(gone.stdout.toString());
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ role: 'serve', pid, startedAt: 1 }));
    expect(lockHolder(dir)).toBeUndefined();
    const lock = DataDirLock.acquire(dir, 'serve');
    expect(lockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
  });
});
