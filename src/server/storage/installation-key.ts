// The installation's secret for keyed hashes of PINs and card identifiers: generated once at first
// start with the system's CSPRNG, kept in the data directory readable by the owner only. Never a
// constant, never logged.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadOrCreateInstallationKey(dataDir: string): Uint8Array {
  const path = join(dataDir, 'installation.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${path} is damaged: expected a 32-byte key`);
    return new Uint8Array(key);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return new Uint8Array(key);
}

/** The key from the configuration when given (several servers on one database), else the data dir's. */
export function installationKeyFor(config: { dataDir: string; installationKey?: Uint8Array | undefined }) {
  return config.installationKey ?? loadOrCreateInstallationKey(config.dataDir);
}
