// `monban backup`: an online, consistent backup of a data directory, while `monban serve` runs.
//
// Order matters for the audit chains. The files of the data directory (installation key, TLS key,
// the checkpoint file of audit/anchors.ts, whatever else a later version keeps there) are read
// first, the database last, through SQLite's online backup API (a consistent snapshot; the server
// keeps writing meanwhile). So every checkpoint in the backup is at or behind the database in it, and
// `monban audit verify` on the restored copy passes: records after the last checkpoint are expected,
// records missing behind one are not. A checkpoint line being appended while it is read is cut at
// the last complete line for the same reason.
//
// On PostgreSQL the database is not ours to copy: the archive then holds the data directory's key
// material only, and the database is dumped with pg_dump (docs/operations.md).

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { recordAudit } from '../audit/store.ts';
import type { ServerConfig } from '../config.ts';
import { LOCK_FILE } from '../data-dir-lock.ts';
import { chainKeys } from '../storage/chain.ts';
import { openStore } from '../storage/db.ts';
import { installationKeyFor } from '../storage/installation-key.ts';
import { type SealOptions, seal } from './archive.ts';
import { type BundleFile, type Manifest, SAFE_PATH, writeBundle } from './bundle.ts';

export const DATABASE_FILE = 'monban.db';
const MONBAN_VERSION = '0.1.0';
/** temporary directories of backup and restore inside the data directory */
export const TEMP_PREFIX = '.backup-';

export interface BackupPlan {
  /** the archive's bytes; consuming them performs the backup */
  bytes: AsyncGenerator<Buffer>;
  /** filled while `bytes` is consumed */
  summary: { files: string[]; databaseBytes: number; skipped: string[] };
}

/** Files of the data directory that belong in a backup, as paths relative to it, sorted. */
function dataDirFiles(dataDir: string, skipped: string[]): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(dataDir, path).split(sep).join('/');
      if (
        dir === dataDir &&
        (name === LOCK_FILE || name.startsWith(DATABASE_FILE) || name.startsWith(TEMP_PREFIX))
      )
        continue;
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) visit(path);
      else if (stat.isFile() && SAFE_PATH.test(rel)) found.push(rel);
      else skipped.push(rel);
    }
  };
  visit(dataDir);
  return found;
}

function fileEntry(dataDir: string, rel: string): BundleFile {
  let bytes = readFileSync(join(dataDir, rel));
  // Append-only line files (the checkpoints) may be caught mid-append: keep the complete lines.
  if (rel.endsWith('.jsonl')) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
  return {
    path: rel,
    size: bytes.length,
    bytes: async function* () {
      yield bytes;
    },
  };
}

async function* streamFile(path: string): AsyncGenerator<Uint8Array> {
  const { createReadStream } = await import('node:fs');
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) yield piece as Buffer;
}

/**
 * Prepares a backup of the data directory `config` names; the audit record of it is written first
 * (so the backup holds it). Nothing is read until `bytes` is consumed.
 */
export async function planBackup(
  config: Pick<ServerConfig, 'dataDir' | 'location' | 'installationKey'>,
  passphrase: string,
  options: SealOptions & { destination?: string } = {},
): Promise<BackupPlan> {
  const sqlite = 'sqliteFile' in config.location ? config.location.sqliteFile : undefined;
  if (sqlite && !statSync(sqlite, { throwIfNoEntry: false })?.isFile())
    throw new Error(`no database at ${sqlite}: nothing to back up`);
  const installationKey = installationKeyFor(config);
  const store = await openStore(config.location);
  try {
    await recordAudit(store.db, chainKeys(installationKey).audit, {
      at: Date.now(),
      actor: 'cli',
      source: 'local',
      action: 'backup.create',
      target: 'data-dir',
      detail: {
        database: sqlite ? 'sqlite' : 'postgres',
        ...(options.destination && { to: options.destination }),
      },
    });
  } finally {
    await store.close();
  }

  const summary: BackupPlan['summary'] = { files: [], databaseBytes: 0, skipped: [] };
  const manifest: Omit<Manifest, 'files'> = {
    format: 'monban-backup',
    v: 1,
    createdAt: (options.now ?? new Date()).toISOString(),
    monban: MONBAN_VERSION,
    database: sqlite ? { kind: 'sqlite', file: DATABASE_FILE } : { kind: 'postgres' },
    installationKey: config.installationKey ? 'environment' : 'file',
  };
  const { dataDir } = config;
  async function* files(): AsyncGenerator<BundleFile> {
    for (const rel of dataDirFiles(dataDir, summary.skipped)) {
      summary.files.push(rel);
      yield fileEntry(dataDir, rel);
    }
    if (!sqlite) return;
    // The database last, snapshotted now: after the checkpoints were read (see the top of the file).
    const temp = mkdtempSync(join(dataDir, TEMP_PREFIX));
    try {
      const copy = join(temp, DATABASE_FILE);
      const source = new BetterSqlite3(sqlite, { fileMustExist: true });
      try {
        await source.backup(copy);
      } finally {
        source.close();
      }
      const size = statSync(copy).size;
      summary.databaseBytes = size;
      summary.files.push(DATABASE_FILE);
      yield { path: DATABASE_FILE, size, bytes: () => streamFile(copy) };
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
  return { bytes: seal(passphrase, writeBundle(files(), manifest), options), summary };
}
