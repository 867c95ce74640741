// Rule (issue 10 §3): a schema-driven fuzzer, run from the server's own OpenAPI document against a
// real server (HTTPS, the controller link on, SQLite), sends every route malformed, oversized,
// hostile and boundary inputs as each role — admin (session and API token), scoped operator, auditor,
// maintainer and anonymous — and fails on any 5xx, on any change of stored state after a rejected
// request, and on any secret in a response or log line. A minute in CI; `npm run fuzz` runs it long.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityDb } from '../../src/server/auth/context.ts';
import { hashPassword } from '../../src/server/auth/passwords.ts';
import { createOperator } from '../../src/server/auth/store.ts';
import { serverConfig } from '../../src/server/config.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { strongPassword } from '../server/security/support/harness.ts';
import { SecretScanner } from '../server/security/support/secret-scanner.ts';
import { FUZZ_SLACK_MS, fuzzBudgetMs, fuzzSeed, random } from './budget.ts';

interface Reply {
  status: number;
  body: string;
}

/** One caller: a cookie session (with its CSRF token), a bearer token, or nobody. */
class Caller {
  cookie: string | undefined;
  csrf: string | undefined;
  bearer: string | undefined;
  constructor(
    readonly name: string,
    private readonly base: string,
    private readonly ca: string,
    private readonly scanner: SecretScanner,
  ) {}

  call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        {
          method,
          ca: this.ca,
          agent: false,
          headers: {
            ...(body !== undefined && { 'content-type': contentType }),
            ...(this.cookie && { cookie: this.cookie }),
            ...(this.bearer && { authorization: `Bearer ${this.bearer}` }),
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
              if (value && this.cookie === undefined) {
                this.cookie = pair;
                this.scanner.secret('session id', value);
              }
            }
            this.scanner.captureResponse(`${this.name} ${method} ${path}`, text);
            resolve({ status: res.statusCode ?? 0, body: text });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a'.repeat(70_000),
  '\u0000',
  'x\ud800',
  'invoice\u202Etxt.exe',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '$' + '{7*7}{{7*7}}',
  '=HYPERLINK("http://x","y")',
  'ＥＭＰ１',
  '%00%2e%2e%2f',
  '__proto__',
  'constructor',
  '9'.repeat(400),
  '-1',
  '1e309',
  'null',
  '2026-02-30T25:61:00+09:00',
  '山田 太郎',
  '\r\n\tSet-Cookie: x=y',
];
const HOSTILE_NUMBERS = [-1, 0, 1, 2 ** 31, 2 ** 53 + 1, -0, 1e308, 0.5, -1e308];
const KNOWN_IDS = [
  'p-1',
  'p-2',
  'c-1',
  'staff',
  'lobby',
  'outside',
  'front',
  'level-1',
  'week',
  'ctl-1',
  'nope',
];

type Schema = Record<string, unknown>;

/** Percent-encodes anything, ill-formed text included (sent as the bytes of a lone surrogate). */
function enc(value: unknown): string {
  const text = String(value);
  try {
    return encodeURIComponent(text);
  } catch {
    return `${encodeURIComponent(text.replace(/[\uD800-\uDFFF]/gu, ''))}%ED%A0%80`;
  }
}

/** JSON-schema-shaped values: usually valid-looking, often at a boundary, sometimes hostile. */
class Values {
  constructor(
    private readonly rnd: () => number,
    private readonly doc: { components?: { schemas?: Record<string, Schema> } },
  ) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  private resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    if (typeof ref === 'string') {
      const name = ref.split('/').at(-1)!;
      return this.doc.components?.schemas?.[name] ?? {};
    }
    return schema;
  }

  hostile(depth = 0): unknown {
    const r = this.rnd();
    if (r < 0.5) return this.pick(HOSTILE_STRINGS);
    if (r < 0.7) return this.pick(HOSTILE_NUMBERS);
    if (r < 0.8) return this.pick([null, true, false, [], {}]);
    if (r < 0.9 && depth < 3) return { __proto__x: this.hostile(depth + 1), constructor: { prototype: 1 } };
    return [this.hostile(depth + 1)];
  }

  of(input: Schema | undefined, depth = 0): unknown {
    if (!input || depth > 6) return this.hostile(depth);
    const schema = this.resolve(input);
    if (this.rnd() < 0.12) return this.hostile(depth);
    const choices = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (choices?.length) return this.of(this.pick(choices), depth + 1);
    if (Array.isArray(schema.enum)) return this.pick(schema.enum);
    if ('const' in schema) return schema.const;
    const type = Array.isArray(schema.type) ? this.pick(schema.type as string[]) : schema.type;
    switch (type) {
      case 'string': {
        if (schema.format === 'date-time')
          return this.pick(['2026-04-01T09:00:00+09:00', '2026-04-01T00:00:00Z', '1970-01-01T00:00:00Z']);
        if (schema.format === 'email') return this.pick(['a@example.jp', 'not-an-email']);
        const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
        const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
        const r = this.rnd();
        if (max !== undefined && r < 0.1) return 'x'.repeat(max + 1);
        if (max !== undefined && r < 0.2) return 'x'.repeat(max);
        if (r < 0.25) return 'x'.repeat(Math.max(0, min - 1));
        if (r < 0.45) return String(Math.floor(this.rnd() * 10 ** 8)).padStart(6, '0');
        return this.pick(KNOWN_IDS);
      }
      case 'integer':
      case 'number': {
        const lo = typeof schema.minimum === 'number' ? schema.minimum : -5;
        const hi = typeof schema.maximum === 'number' ? schema.maximum : 1000;
        return this.pick([lo, lo - 1, hi, hi + 1, Math.floor(lo + this.rnd() * (hi - lo)), 0]);
      }
      case 'boolean':
        return this.rnd() < 0.5;
      case 'null':
        return null;
      case 'array': {
        const n = this.pick([0, 1, 2, 3, 1001]);
        return Array.from({ length: n }, () => this.of(schema.items as Schema, depth + 1));
      }
      default: {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        const required = new Set((schema.required ?? []) as string[]);
        const value: Record<string, unknown> = {};
        for (const [key, sub] of Object.entries(properties))
          if ((required.has(key) && this.rnd() < 0.93) || this.rnd() < 0.4)
            value[key] = this.of(sub, depth + 1);
        if (this.rnd() < 0.08)
          value[this.pick(['unknownField', 'role', 'scope', 'isAdmin'])] = this.hostile(depth);
        if (Object.keys(properties).length === 0 && this.rnd() < 0.7)
          for (const key of [
            'username',
            'password',
            'code',
            'token',
            'name',
            'permissions',
            'role',
            'scope',
            'id',
          ])
            if (this.rnd() < 0.3) value[key] = this.hostile(depth);
        return value;
      }
    }
  }
}

/** Stored state that a rejected request must leave alone (security bookkeeping excluded). */
const STATE_TABLES = [
  'people',
  'person_groups',
  'person_levels',
  'credentials',
  'groups',
  'group_levels',
  'access_levels',
  'access_level_doors',
  'schedules',
  'schedule_holidays',
  'holiday_calendars',
  'holiday_dates',
  'areas',
  'doors',
  'controllers',
  'operators',
  'password_credentials',
  'api_tokens',
  'totp_factors',
  'webauthn_credentials',
  'backup_codes',
  'events',
];

describe('API fuzzer', () => {
  const scanner = new SecretScanner();
  const seed = fuzzSeed();
  const budget = fuzzBudgetMs(45);
  let dir: string;
  let server: RunningServer;
  let callers: Caller[];
  let doc: {
    paths: Record<string, Record<string, Schema>>;
    components?: { schemas?: Record<string, Schema> };
  };

  async function state(): Promise<string> {
    const db = securityDb(server.store.db);
    const hash = createHash('sha256');
    for (const table of STATE_TABLES) {
      const rows = (await db
        .selectFrom(table as 'people')
        .selectAll()
        .execute()) as Record<string, unknown>[];
      const stable = rows.map(({ last_used_at: _used, ...rest }) => rest);
      stable.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      hash.update(table).update(JSON.stringify(stable));
    }
    return hash.digest('hex');
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-fuzz-'));
    const config = serverConfig({
      MONBAN_DATA_DIR: dir,
      MONBAN_PORT: '0',
      MONBAN_MQTT_PORT: '0',
      MONBAN_LOG_LEVEL: 'info',
    });
    server = await startServer(config, {
      env: { MONBAN_PUBLIC_ORIGIN: 'https://localhost', MONBAN_REQUIRE_ADMIN_MFA: 'false' },
      logger: pino({ level: 'trace' }, scanner.logStream),
      print: () => undefined,
      background: false,
    });
    scanner.secret('installation key', readFileSync(join(dir, 'installation.key'), 'utf8').trim());
    const ca = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
    const db = securityDb(server.store.db);
    const caller = (name: string) => new Caller(name, server.url, ca, scanner);
    const roles = [
      ['admin', 'admin', undefined],
      ['operator', 'operator', { departments: ['sales'], sites: ['tokyo'] }],
      ['auditor', 'auditor', undefined],
      ['maintainer', 'maintainer', undefined],
    ] as const;
    callers = [caller('anonymous')];
    for (const [name, role, scope] of roles) {
      const password = scanner.secret(`password of ${name}`, strongPassword());
      await createOperator(
        db,
        {
          username: `fuzz-${name}`,
          role,
          ...(scope && { scope }),
          passwordHash: await hashPassword(password),
        },
        Date.now(),
      );
      const c = caller(name);
      const login = await c.call(
        'POST',
        '/api/auth/login',
        JSON.stringify({ username: `fuzz-${name}`, password }),
      );
      expect(login.status, login.body).toBe(200);
      c.csrf = JSON.parse(login.body).csrfToken;
      callers.push(c);
    }
    const admin = callers[1]!;
    const tokenReply = await admin.call(
      'POST',
      '/api/auth/tokens',
      JSON.stringify({
        name: 'fuzz',
        permissions: ['people:read', 'people:write', 'credentials:write', 'site:read'],
      }),
    );
    const tokenCaller = caller('admin token');
    tokenCaller.bearer = scanner.secret(
      'API token',
      JSON.parse(tokenReply.body).token,
      scanner.responses.length,
    );
    callers.push(tokenCaller);
    // A little of everything, so requests reach past "not found".
    for (const [path, body] of [
      ['/api/sites', { id: 'tokyo', name: 'Tokyo' }],
      ['/api/sites', { id: 'osaka', name: 'Osaka' }],
      ['/api/areas', { id: 'lobby', name: 'Lobby', parentId: 'outside', site: 'tokyo' }],
      ['/api/controllers', { id: 'ctl-1', name: 'Controller 1' }],
      [
        '/api/doors',
        { id: 'front', name: 'Front', fromArea: 'outside', toArea: 'lobby', controllerId: 'ctl-1' },
      ],
      ['/api/schedules', { id: 'week', name: 'Weekdays', weekly: { mon: ['09:00-18:00'] } }],
      ['/api/access-levels', { id: 'level-1', name: 'Staff', doors: ['front'], scheduleId: 'week' }],
      ['/api/groups', { id: 'staff', name: 'Staff', levels: ['level-1'] }],
      ['/api/people', { id: 'p-1', name: 'Yamada', department: 'sales', site: 'tokyo', groups: ['staff'] }],
      ['/api/people', { id: 'p-2', name: 'Suzuki', department: 'lab', site: 'osaka' }],
      ['/api/credentials', { id: 'c-1', personId: 'p-1', type: 'card', identifier: 'CARD-1' }],
    ] as const)
      expect((await admin.call('POST', path, JSON.stringify(body))).status, path).toBe(201);
    doc = JSON.parse((await callers[0]!.call('GET', '/api/docs/json')).body);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`finds no 5xx, no change after a refusal, no secret anywhere (seed ${seed})`, {
    timeout: budget + FUZZ_SLACK_MS,
  }, async () => {
    const rnd = random(seed);
    const values = new Values(rnd, doc);
    // The push stream never ends by design (Server-Sent Events): the operations tests cover it.
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path !== '/api/live/stream')
      .flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([m]) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
          .map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
      );
    expect(operations.length).toBeGreaterThan(60);
    const failures: string[] = [];
    const covered = new Set<string>();
    const deadline = Date.now() + budget;
    let sent = 0;
    while (Date.now() < deadline && failures.length < 20) {
      const { path, method, op } = values.pick(operations);
      const caller = values.pick(callers);
      // Calls that would end the fuzzing callers' own sessions are left to the security tests.
      if (caller.cookie && /\/api\/auth\/(logout|password)$/.test(path)) continue;
      const parameters = ((op.parameters ?? []) as { in: string; name: string; schema?: Schema }[]) ?? [];
      let url = path.replace(/\{(\w+)\}/g, () =>
        enc(rnd() < 0.8 ? values.pick(KNOWN_IDS) : values.hostile()),
      );
      const query = parameters
        .filter((p) => p.in === 'query' && rnd() < 0.5)
        .map((p) => `${enc(p.name)}=${enc(values.of(p.schema))}`);
      if (rnd() < 0.05) query.push('unknown=1');
      if (query.length > 0) url += `?${query.join('&')}`;
      const bodySchema = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
        ?.content?.['application/json']?.schema;
      let body: string | undefined;
      let contentType = 'application/json';
      if (method !== 'GET' && method !== 'DELETE') {
        const r = rnd();
        if (r < 0.05) body = '{"broken": ';
        else if (r < 0.08) body = `${'['.repeat(5000)}${']'.repeat(5000)}`;
        else if (r < 0.1) {
          body = 'id,name\r\np-9,=cmd|x\r\n';
          contentType = path.includes('/csv/') ? 'text/csv' : 'text/plain';
        } else if (r < 0.12)
          body = JSON.stringify({
            __proto__: { isAdmin: true },
            constructor: { prototype: { isAdmin: true } },
          });
        else body = JSON.stringify(values.of(bodySchema ?? {}));
      }
      const before = method === 'GET' ? undefined : await state();
      const reply = await caller.call(method, url, body, contentType);
      sent++;
      covered.add(`${method} ${path}`);
      const what = `${caller.name} ${method} ${url.slice(0, 200)} ${body ? body.slice(0, 200) : ''} → ${reply.status} ${reply.body.slice(0, 200)}`;
      if (reply.status >= 500) failures.push(`5xx: ${what}`);
      if (before !== undefined && reply.status >= 400 && (await state()) !== before)
        failures.push(`state changed after a refusal: ${what}`);
    }
    const leaks = scanner.leaks();
    console.log(
      `API fuzzer: ${sent} requests over ${covered.size} of ${operations.length} operations, seed ${seed}`,
    );
    expect(failures).toEqual([]);
    expect(leaks).toEqual([]);
    expect(sent).toBeGreaterThan(100);
  });
});
