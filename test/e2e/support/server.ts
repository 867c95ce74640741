// The management server for e2e tests, started as `monban serve` starts it (startServer, the same
// composition root) on an empty data directory and free ports, reached at https://localhost:PORT
// (the WebAuthn relying party), with the one-time setup token it prints captured.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';

export interface TestServer {
  running: RunningServer;
  /** https://localhost:PORT */
  origin: string;
  certPem: string;
  setupToken: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'monban-e2e-'));
  const port = options.port ?? (await freePort());
  const origin = `https://localhost:${port}`;
  let setupToken = '';
  const running = await startServer(serverConfig({}, { dataDir, port, host: '127.0.0.1' }), {
    logger: pino({ level: process.env.E2E_LOG ?? 'silent' }),
    env: { MONBAN_PUBLIC_ORIGIN: origin, ...env },
    print: (line) => {
      setupToken = /\b(mbs_[A-Za-z0-9_-]+)/.exec(line)?.[1] ?? setupToken;
    },
    background: false,
    controllers: { mqttPort: 0 },
  });
  return {
    running,
    origin,
    certPem: readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8'),
    setupToken,
    dataDir,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
