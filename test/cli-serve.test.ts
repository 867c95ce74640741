// `monban serve` as a user starts it on a fresh machine (what `npm start` runs): a real child process
// with an empty data directory serves HTTPS on embedded SQLite, prints a one-time setup token that
// creates the first administrator exactly once, and stops cleanly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = new URL('../bin/monban.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'monban-serve-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function post(
  url: string,
  ca: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('monban serve', () => {
  it('serves HTTPS on SQLite, takes the printed setup token once, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MONBAN_PORT: '0',
      MONBAN_MQTT_PORT: '0',
      MONBAN_LOG_LEVEL: 'warn',
    };
    delete env.MONBAN_DATABASE_URL;
    child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let console = '';
    child.stdout?.resume();
    const started = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      child?.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${console}`)));
      child?.stderr?.on('data', (chunk: Buffer) => {
        console += chunk.toString();
        const url = /management server on (https:\/\/\S+)/.exec(console)?.[1];
        const token = /\b(mbs_[A-Za-z0-9_-]+)/.exec(console)?.[1];
        if (url && token) resolve({ url, token });
      });
    });
    expect(started.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(join(dataDir, 'monban.db'))).toBe(true);
    const ca = readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8');

    const admin = { token: started.token, username: 'chief', password: 'correct horse battery staple 7' };
    const created = await post(`${started.url}/api/auth/setup`, ca, admin);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ operator: { username: 'chief', role: 'admin' } });
    const again = await post(`${started.url}/api/auth/setup`, ca, { ...admin, username: 'second' });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);

    child.removeAllListeners('exit');
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(console).not.toContain(admin.password);
  }, 30_000);
});
