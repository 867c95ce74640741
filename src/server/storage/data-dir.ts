// The data directory holds the SQLite database (card numbers, password hashes, the audit log), the
// installation key, the TLS key and the checkpoint file: readable by the server's user only. At every
// start `secureDataDir` makes sure of it: missing, it is created 0700; directories in it that are
// more open become 0700 and files 0600, each fixed path reported so the server can warn (fixing is
// safe: only the owner loses nothing, and refusing would stop the doors' server over a chmod); a
// directory or file owned by another user is refused, since someone else controls it.

import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Creates or checks the data directory; returns one warning per path whose mode was fixed. */
export function secureDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const warnings: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (uid !== undefined && stat.uid !== uid)
      throw new DataDirError(`${path} belongs to another user (uid ${stat.uid}): refusing to start`);
    const wanted = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o077) !== 0) {
      chmodSync(path, wanted);
      warnings.push(`${path} was ${octal(stat.mode)}, now ${octal(wanted)}`);
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return warnings;
}
