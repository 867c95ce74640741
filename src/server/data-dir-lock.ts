// Who is using a data directory: `monban serve` holds `server.lock` in it while it runs (with its
// address and the certificate it serves), and so does a `monban import` that writes directly. A
// second one finds the lock and does not write behind the first one's back: the import sends its
// file to the running server's API instead, a second server refuses to start. A lock left by a
// process that is gone (killed) is taken over. The file is owner-only and holds no secret.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'server.lock';

export interface LockInfo {
  role: 'serve' | 'import';
  pid: number;
  startedAt: number;
  /** where the server listens (serve, once listening) */
  url?: string;
  /** the certificate it serves, to trust when calling it */
  caFile?: string;
  /** the MQTT broker its controllers use (monban doctor checks it is reachable) */
  brokerUrl?: string;
}

export class DataDirLocked extends Error {
  constructor(readonly holder: LockInfo) {
    super(
      holder.role === 'serve'
        ? `monban serve (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}) is running on this data directory`
        : `monban import (pid ${holder.pid}) is writing to this data directory`,
    );
    this.name = 'DataDirLocked';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the data directory's lock, if any. */
export function lockHolder(dataDir: string): LockInfo | undefined {
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
  return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
}

export class DataDirLock {
  private released = false;

  private constructor(
    private readonly path: string,
    private info: LockInfo,
  ) {}

  /** Takes the lock, or throws DataDirLocked naming the live holder. */
  static acquire(dataDir: string, role: LockInfo['role']): DataDirLock {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, LOCK_FILE);
    const info: LockInfo = { role, pid: process.pid, startedAt: Date.now() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
        return new DataDirLock(path, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = lockHolder(dataDir);
        if (holder) throw new DataDirLocked(holder);
        // Left by a process that is gone: take it over.
        try {
          unlinkSync(path);
        } catch {}
      }
    }
    throw new DataDirLocked(lockHolder(dataDir) ?? info);
  }

  /** Adds what others need to reach the holder (the server's address once it listens). */
  update(extra: Pick<LockInfo, 'url' | 'caFile' | 'brokerUrl'>): void {
    if (this.released) return;
    this.info = { ...this.info, ...extra };
    writeFileSync(this.path, JSON.stringify(this.info), { mode: 0o600 });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const current = JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
      if (current.pid === this.info.pid && current.startedAt === this.info.startedAt) unlinkSync(this.path);
    } catch {}
  }
}
