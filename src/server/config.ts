// Where the server keeps its data: a data directory (SQLite database, installation key) by default,
// PostgreSQL when MONBAN_DATABASE_URL is set. Read from the environment, validated, with errors that
// name the variable.

import { resolve } from 'node:path';
import { z } from 'zod';
import type { StoreLocation } from './storage/db.ts';

const envSchema = z.object({
  MONBAN_DATA_DIR: z.string().min(1).default('./monban-data'),
  MONBAN_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
});

export interface StorageConfig {
  dataDir: string;
  location: StoreLocation;
}

export function storageConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: { dataDir?: string; databaseUrl?: string } = {},
): StorageConfig {
  const parsed = envSchema.safeParse({
    MONBAN_DATA_DIR: overrides.dataDir ?? env.MONBAN_DATA_DIR,
    MONBAN_DATABASE_URL: overrides.databaseUrl ?? env.MONBAN_DATABASE_URL,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${String(issue.path[0])}: ${issue.message}`);
  }
  const dataDir = resolve(parsed.data.MONBAN_DATA_DIR);
  return {
    dataDir,
    location: parsed.data.MONBAN_DATABASE_URL
      ? { postgresUrl: parsed.data.MONBAN_DATABASE_URL }
      : { sqliteFile: resolve(dataDir, 'monban.db') },
  };
}
