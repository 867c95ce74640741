// The passphrase of a backup, never a command-line argument (shell history, `ps`): from
// `--passphrase-file FILE`, else MONBAN_BACKUP_PASSPHRASE, else the first line piped to stdin, else
// asked at the terminal without echo (twice when making a backup, so a typo does not make an
// archive nobody can open). It is never printed.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { readHidden } from '../hidden-input.ts';

export interface PassphraseIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** prompts go to stderr: stdout may be the archive itself (`--out -`) */
  prompt: (text: string) => void;
  env: Record<string, string | undefined>;
}

export const defaultPassphraseIO: PassphraseIO = {
  stdin: process.stdin,
  prompt: (text) => process.stderr.write(text),
  env: process.env,
};

async function firstLine(io: PassphraseIO): Promise<string | undefined> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) return line;
    return undefined;
  } finally {
    lines.close();
  }
}

export async function readPassphrase(
  io: PassphraseIO,
  options: { file?: string | undefined; confirm: boolean },
): Promise<string> {
  let value: string | undefined;
  if (options.file !== undefined) value = readFileSync(options.file, 'utf8').split(/\r?\n/)[0];
  else if (io.env.MONBAN_BACKUP_PASSPHRASE) value = io.env.MONBAN_BACKUP_PASSPHRASE;
  else if (!io.stdin.isTTY) value = await firstLine(io);
  else {
    value = await readHidden(io, 'Backup passphrase: ');
    if (options.confirm && (await readHidden(io, 'Repeat it: ')) !== value)
      throw new Error('the two passphrases differ');
  }
  if (value === undefined || value === '')
    throw new Error('no passphrase: give --passphrase-file, MONBAN_BACKUP_PASSPHRASE, or pipe it to stdin');
  return value;
}
