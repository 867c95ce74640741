// Rule: from an empty data directory to a working administrator there is no default password at any
// step: `monban serve` starts on HTTPS, prints a one-time setup token, the token creates the first
// admin once, the admin's first login can only enrol a second factor, and after that the console
// works with its session cookie and CSRF token. No secret of this walk reaches the log.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { strongPassword } from './support/harness.ts';
import { SecretScanner } from './support/secret-scanner.ts';

interface Reply {
  status: number;
  body: string;
  json: () => Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

class Browser {
  cookie: string | undefined;
  csrf: string | undefined;
  constructor(
    private readonly base: string,
    private readonly ca: string,
    private readonly scanner: SecretScanner,
  ) {}

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        {
          method,
          ca: this.ca,
          agent: false,
          headers: {
            ...(payload && { 'content-type': 'application/json' }),
            ...(this.cookie && { cookie: this.cookie }),
            ...(this.csrf && method !== 'GET' && { 'x-csrf-token': this.csrf }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            for (const set of res.headers['set-cookie'] ?? []) {
              const [pair = ''] = set.split(';');
              const value = pair.slice(pair.indexOf('=') + 1);
              if (value) {
                this.cookie = pair;
                this.scanner.secret('session id', value);
              }
            }
            const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            if (typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
            this.scanner.captureResponse(`${method} ${path}`, text);
            resolve({ status: res.statusCode ?? 0, body: text, json: () => parsed, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

describe('first start to first admin', () => {
  const scanner = new SecretScanner();
  const printed: string[] = [];
  let dir: string;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-first-start-'));
    const config = serverConfig({
      MONBAN_DATA_DIR: dir,
      MONBAN_PORT: '0',
      MONBAN_MQTT_PORT: '0',
      MONBAN_LOG_LEVEL: 'info',
    });
    server = await startServer(config, {
      env: { MONBAN_PUBLIC_ORIGIN: 'https://localhost' },
      logger: pino({ level: 'trace' }, scanner.logStream),
      print: (line) => printed.push(line),
      background: false,
    });
    browser = new Browser(server.url, readFileSync(join(dir, 'tls', 'server.crt'), 'utf8'), scanner);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    scanner.assertClean();
  });

  it('walks from the printed setup token to a working admin with MFA', async () => {
    const token = /mbs_[\w-]{43}/.exec(printed.join('\n'))?.[0];
    expect(token).toBeDefined();
    scanner.secret('setup token', token!);
    const password = scanner.secret('admin password', strongPassword());

    expect((await browser.call('GET', '/api/people')).status).toBe(401);
    const setup = await browser.call('POST', '/api/auth/setup', { token, username: 'kanri', password });
    expect(setup.status).toBe(201);
    expect(
      (await browser.call('POST', '/api/auth/setup', { token, username: 'kanri2', password })).status,
    ).toBe(401);

    const login = await browser.call('POST', '/api/auth/login', { username: 'kanri', password });
    expect(login.json().stage).toBe('enrol');
    expect(login.headers['set-cookie']?.[0]).toMatch(
      /^__Host-monban_session=.+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(login.headers['strict-transport-security']).toBeDefined();
    expect((await browser.call('GET', '/api/people')).status).toBe(403);

    const enrol = await browser.call('POST', '/api/auth/totp/enrol');
    const secret = enrol.json().secret as string;
    scanner.secret('TOTP secret', secret, scanner.responses.length);
    const verified = await browser.call('POST', '/api/auth/totp/verify', {
      code: await generate({ secret }),
    });
    expect(verified.json().stage).toBe('full');
    for (const code of verified.json().backupCodes as string[])
      scanner.secret('backup code', code, scanner.responses.length);

    expect(
      (await browser.call('POST', '/api/people', { id: 'first-person', name: 'Yamada Taro' })).status,
    ).toBe(201);
    const saved = browser.csrf;
    browser.csrf = undefined;
    expect((await browser.call('POST', '/api/people', { id: 'forged', name: 'Forged' })).status).toBe(403);
    browser.csrf = saved;
    const audit = (await browser.call('GET', '/api/audit?limit=100')).json().items as { action: string }[];
    expect(audit.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'setup.first_admin',
        'login.password_accepted',
        'mfa.totp.enrolled',
        'login.success',
        'person.create',
      ]),
    );
  });
});
