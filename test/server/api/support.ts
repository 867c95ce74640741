// A real management API for tests: a temporary SQLite file with every migration, the server put
// together by the composition root (src/server/compose.ts) as `monban serve` does — service layer,
// domain events, audit, security plugin — without the controller link, and principals chosen per
// request with the `x-test-principal` header. Every published domain event is kept in `events`.
// close() closes the app and the database and removes the files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { type ComposedServer, composeServer } from '../../../src/server/compose.ts';
import type { Published } from '../../../src/server/domain/events.ts';
import type { Principal } from '../../../src/server/http/principal.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { type Repositories, repositories } from '../../../src/server/storage/index.ts';

export const KEY = new Uint8Array(32).fill(42);
export const T0 = Date.parse('2026-04-01T00:00:00Z');

export const PRINCIPALS = {
  admin: { kind: 'operator', id: 'admin-1', role: 'admin', scope: 'all' },
  salesOp: {
    kind: 'operator',
    id: 'op-sales',
    role: 'operator',
    scope: { departments: ['sales'], sites: [] },
  },
  tokyoOp: {
    kind: 'operator',
    id: 'op-tokyo',
    role: 'operator',
    scope: { departments: [], sites: ['tokyo'] },
  },
  auditor: { kind: 'operator', id: 'aud-1', role: 'auditor', scope: 'all' },
  maintainer: { kind: 'operator', id: 'mnt-1', role: 'maintainer', scope: 'all' },
  readToken: { kind: 'token', id: 'tok-1', role: 'admin', scope: 'all', tokenPermissions: ['people:read'] },
} satisfies Record<string, Principal>;
export type Who = keyof typeof PRINCIPALS | 'nobody';

export class Api {
  app!: FastifyInstance;
  store!: Store;
  repos!: Repositories;
  server!: ComposedServer;
  /** every domain event published, in order */
  readonly events: Published[] = [];
  private dir = '';
  now = T0;

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'monban-api-'));
    this.store = await openStore({ sqliteFile: join(this.dir, 'monban.db') });
    this.repos = repositories(this.store.db, KEY);
    this.server = await composeServer({
      store: this.store,
      installationKey: KEY,
      logger: pino({ level: 'silent' }),
      clock: { now: () => this.now },
      controllers: false,
      authenticate: (request) => {
        const who = request.headers['x-test-principal'];
        return typeof who === 'string' && who in PRINCIPALS
          ? (PRINCIPALS[who as keyof typeof PRINCIPALS] as Principal)
          : undefined;
      },
    });
    this.server.bus.subscribe('test', (batch) => {
      this.events.push(...batch);
    });
    this.app = this.server.app;
    await this.app.ready();
    return this;
  }

  /** The types of the events published about one record (`person:E-1`, `credential:c1`). */
  eventsAbout(id: string): string[] {
    return this.events.filter((p) => Object.values(p.event).includes(id)).map((p) => p.event.type);
  }

  request(
    who: Who,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method,
      url,
      headers: { ...headers, ...(who !== 'nobody' && { 'x-test-principal': who }) },
      ...(body !== undefined && { payload: body as string }),
    });
  }

  get = (who: Who, url: string) => this.request(who, 'GET', url);
  post = (who: Who, url: string, body: unknown) => this.request(who, 'POST', url, body);
  patch = (who: Who, url: string, body: unknown) => this.request(who, 'PATCH', url, body);
  delete = (who: Who, url: string) => this.request(who, 'DELETE', url);

  /** Every row of every domain table: to show that a refused request changed nothing. */
  async snapshot(): Promise<string> {
    const tables = [
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
      'controllers',
      'doors',
    ] as const;
    const rows: Record<string, unknown> = {};
    for (const t of tables) rows[t] = await this.store.db.selectFrom(t).selectAll().execute();
    return JSON.stringify(rows);
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function startApi(): Promise<Api> {
  return new Api().start();
}
