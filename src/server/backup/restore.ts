// `monban restore`: a backup into a new data directory. Nothing is written into the target until the
// whole archive has been decrypted and authenticated (archive.ts) into a staging directory beside it
// and checked: every file's SHA-256 read back from disk against the manifest, SQLite's integrity
// check on the database, and the audit and event chains against the restored checkpoints (the same
// verification as `monban audit verify`). Only then is the staging directory renamed into place. A
// target that exists and is not empty is refused before anything is read: restore never merges into,
// or overwrites, a data directory.

import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import BetterSqlite3 from 'better-sqlite3';
import { anchorFileIn, anchorKeys, type ChainsReport, verifyChains } from '../audit/anchors.ts';
import { openStore, type StoreLocation } from '../storage/db.ts';
import { loadOrCreateInstallationKey } from '../storage/installation-key.ts';
import { open } from './archive.ts';
import { type Manifest, readBundle } from './bundle.ts';

export class RestoreRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefused';
  }
}

export interface RestoreResult {
  target: string;
  manifest: Manifest;
  /** the chains' verdict; undefined when the database is elsewhere (PostgreSQL) and none was given */
  chains: ChainsReport | undefined;
}

export interface RestoreOptions {
  /** the installation key when the backup was made with it in the environment */
  installationKey?: Uint8Array | undefined;
  /** PostgreSQL backups: the database restored with pg_restore, to verify the chains against */
  databaseUrl?: string | undefined;
}

/** Refuses a target that exists and holds anything. */
export function checkTarget(target: string): void {
  if (!existsSync(target)) return;
  let entries: string[];
  try {
    entries = readdirSync(target);
  } catch {
    throw new RestoreRefused(`${target} exists and is not a directory: choose a new data directory`);
  }
  if (entries.length > 0)
    throw new RestoreRefused(`${target} is not empty: restore only into a new or empty data directory`);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

export async function restoreBackup(
  archive: AsyncIterable<Uint8Array>,
  passphrase: string,
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  checkTarget(target);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.restoring-`));
  try {
    const manifest = await readBundle(open(passphrase, archive), {
      async file(path, _size, bytes) {
        const destination = join(staging, ...path.split('/'));
        mkdirSync(dirname(destination), { recursive: true, mode: 0o700 });
        await pipeline(bytes, createWriteStream(destination, { flags: 'wx', mode: 0o600 }));
      },
    });
    for (const file of manifest.files) {
      const actual = await sha256Of(join(staging, ...file.path.split('/')));
      if (actual !== file.sha256)
        throw new RestoreRefused(`${file.path} does not match the manifest after writing`);
    }
    let location: StoreLocation | undefined;
    if (manifest.database.kind === 'sqlite') {
      const file = join(staging, manifest.database.file);
      const db = new BetterSqlite3(file, { fileMustExist: true });
      try {
        const result = db.pragma('integrity_check', { simple: true });
        if (result !== 'ok')
          throw new RestoreRefused(`the database fails SQLite's integrity check: ${String(result)}`);
      } finally {
        db.close();
      }
      location = { sqliteFile: file };
    } else if (options.databaseUrl) location = { postgresUrl: options.databaseUrl };

    let chains: ChainsReport | undefined;
    if (location) {
      const inBackup = manifest.installationKey === 'file';
      if (inBackup && !existsSync(join(staging, 'installation.key')))
        throw new RestoreRefused('the backup says it holds installation.key, but it does not');
      const key = inBackup ? loadOrCreateInstallationKey(staging) : options.installationKey;
      if (!key)
        throw new RestoreRefused(
          'this backup was made with MONBAN_INSTALLATION_KEY in the environment: set it to verify and use the restore',
        );
      const store = await openStore(location);
      try {
        chains = await verifyChains(store.db, anchorKeys(key), anchorFileIn(staging));
      } finally {
        await store.close();
      }
    }
    if (existsSync(target)) rmdirSync(target);
    renameSync(staging, target);
    return { target, manifest, chains };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
