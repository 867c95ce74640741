// A management server in this process on a scratch data directory, with an API token made for it —
// what the stack benchmark, `scripts/sim-local.ts` and the sim test need to drive a server through
// its public API without an operator signing in. Never used by `monban serve`: the token is made
// directly in storage, as an administrator would make one in the console.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { securityDb } from '../../src/server/auth/context.ts';
import { sha256Hex } from '../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../src/server/auth/store.ts';
import { serverConfig } from '../../src/server/config.ts';
import { PERMISSIONS } from '../../src/server/http/principal.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';

export interface LocalServer {
  running: RunningServer;
  url: string;
  /** the certificate it serves (PEM) */
  ca: string;
  /** an API token with every permission */
  token: string;
}

export async function startLocalServer(
  dataDir: string,
  options: { databaseUrl?: string; logLevel?: string } = {},
): Promise<LocalServer> {
  const running = await startServer(
    serverConfig({}, { dataDir, port: 0, ...(options.databaseUrl && { databaseUrl: options.databaseUrl }) }),
    {
      logger: pino({ level: options.logLevel ?? 'silent' }),
      env: {},
      print: () => {},
      background: false,
      controllers: { mqttPort: 0 },
    },
  );
  try {
    const db = securityDb(running.store.db);
    const admin = await createOperator(
      db,
      { username: `local-${randomBytes(4).toString('hex')}`, role: 'admin', passwordHash: 'x' },
      Date.now(),
    );
    const token = `mbn_${randomBytes(24).toString('base64url')}`;
    await createApiToken(db, {
      name: 'local',
      tokenHash: sha256Hex(token),
      createdBy: admin.id,
      role: 'admin',
      permissions: [...PERMISSIONS],
      scope: 'all',
      createdAt: Date.now(),
      expiresAt: null,
    });
    return { running, url: running.url, ca: readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8'), token };
  } catch (error) {
    await running.close();
    throw error;
  }
}
