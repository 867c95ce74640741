// Runs `monban sim` against a server started in this process on a scratch data directory, with an
// API token made for it: `node --import tsx scripts/sim-local.ts --people 100000 --controllers 10`.
// For measuring the whole stack on one machine without setting up an operator and a token by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSimReport } from '../src/cli/commands/sim.ts';
import { runSim } from '../src/sim/load/run.ts';
import { startLocalServer } from './support/local-server.ts';

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
const server = await startLocalServer(join(dir, 'server'), { logLevel: 'warn' });
try {
  const t0 = Date.now();
  const report = await runSim({
    server: server.url,
    token: server.token,
    ca: server.ca,
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
  await server.running.close();
  rmSync(dir, { recursive: true, force: true });
}
