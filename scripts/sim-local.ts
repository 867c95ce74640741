// Runs `monban sim` against a server started in this process on a scratch data directory, with an
// API token made for it: `node --import tsx scripts/sim-local.ts --people 100000 --controllers 10`.
// For measuring the whole stack on one machine without setting up an operator and a token by hand.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatSimReport } from '../src/cli/commands/sim.ts';
import { securityDb } from '../src/server/auth/context.ts';
import { sha256Hex } from '../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../src/server/auth/store.ts';
import { serverConfig } from '../src/server/config.ts';
import { PERMISSIONS } from '../src/server/http/principal.ts';
import { startServer } from '../src/server/serve.ts';
import { runSim } from '../src/sim/load/run.ts';

const { values } = parseArgs({
  options: {
    controllers: { type: 'string', default: '10' },
    doors: { type: 'string', default: '10' },
    people: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '30' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'monban-sim-local-'));
const running = await startServer(serverConfig({}, { dataDir: join(dir, 'server'), port: 0 }), {
  logger: pino({ level: 'warn' }),
  env: {},
  print: () => {},
  background: false,
  controllers: { mqttPort: 0 },
});
try {
  const db = securityDb(running.store.db);
  const admin = await createOperator(
    db,
    { username: 'sim-local', role: 'admin', passwordHash: 'x' },
    Date.now(),
  );
  const token = `mbn_${randomBytes(24).toString('base64url')}`;
  await createApiToken(db, {
    name: 'sim-local',
    tokenHash: sha256Hex(token),
    createdBy: admin.id,
    role: 'admin',
    permissions: [...PERMISSIONS],
    scope: 'all',
    createdAt: Date.now(),
    expiresAt: null,
  });
  const t0 = Date.now();
  const report = await runSim({
    server: running.url,
    token,
    ca: readFileSync(join(dir, 'server', 'tls', 'server.crt'), 'utf8'),
    dataDir: join(dir, 'sim'),
    size: {
      controllers: Number(values.controllers),
      doorsPerController: Number(values.doors),
      people: Number(values.people),
    },
    rate: Number(values.rate),
    durationSeconds: Number(values.duration),
    settleSeconds: 900,
    progress: (line) => process.stderr.write(`sim: ${line} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`),
  });
  process.stdout.write(`${formatSimReport(report)}\n${JSON.stringify(report)}\n`);
} finally {
  await running.close();
  rmSync(dir, { recursive: true, force: true });
}
