// Rule: the OpenAPI document of the whole server (the endpoint table, security, alarms, audit and the
// controller link) passes Redocly's recommended lint with no errors, offline, and every operation has
// an operationId, a summary, tags, a success response with a schema and its 4xx answers; operations
// that take a body document it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';

type Operation = {
  operationId?: string;
  security?: unknown;
  summary?: string;
  tags?: string[];
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

describe('OpenAPI document of the whole server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-openapi-'));
  let server: RunningServer;
  let doc: { paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    doc = (await server.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );

  it('documents every operation: id, summary, tags, success schema and 4xx answers', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(op.operationId!), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBeGreaterThan(0);
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((s) => /^4/.test(s)),
        `${where}: 4xx`,
      ).toBe(true);
      // A browser navigation (single sign-on) succeeds with a redirect, which has no body.
      const success = statuses.find((s) => /^2/.test(s) || s === '303');
      expect(success, `${where}: 2xx`).toBeDefined();
      if (success !== '204' && success !== '303')
        expect(op.responses![success!]!.content, `${where}: success schema`).toBeDefined();
    }
    for (const [method, path] of [
      ['post', '/api/auth/login'],
      ['post', '/api/auth/setup'],
      ['post', '/api/auth/password'],
      ['post', '/api/operators'],
      ['post', '/api/alarms/{id}/acknowledge'],
      ['post', '/api/controllers/enroll'],
      ['patch', '/api/doors/{id}'],
    ] as const)
      expect(doc.paths[path]?.[method]?.requestBody, `${method} ${path}`).toBeDefined();
  });

  it('documents sign-in from the route table: the redirects of single sign-on, the session it needs', () => {
    // Setup and login are public; the second factors and the password change need the session.
    expect(doc.paths['/api/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/auth/login/totp']?.post?.security).toEqual([{ session: [] }]);
    expect(doc.paths['/api/auth/password']?.post?.security).toEqual([{ session: [] }]);
    expect(Object.keys(doc.paths['/api/auth/login']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '429']),
    );
    for (const path of ['/api/auth/oidc/start', '/api/auth/oidc/callback']) {
      const answer = (
        doc.paths[path]?.get?.responses as Record<string, Record<string, unknown>> | undefined
      )?.['303'];
      expect(answer, path).toBeDefined();
      expect(answer!.content, path).toBeUndefined();
      expect(answer!.headers, path).toHaveProperty('Location');
    }
    const callback = doc.paths['/api/auth/oidc/callback']?.get as { parameters?: { name: string }[] };
    expect(callback.parameters?.map((p) => p.name).sort()).toEqual(['code', 'error', 'state']);
  });

  it('passes Redocly’s recommended lint with no errors, without the network', () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    writeFileSync(join(dir, 'redocly.yaml'), 'extends:\n  - recommended\n');
    const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
    const run = spawnSync(
      process.execPath,
      [cli, 'lint', file, '--config', join(dir, 'redocly.yaml'), '--format', 'summary'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        // No telemetry, no update check: the lint needs nothing but the file.
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          NO_COLOR: '1',
        },
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toMatch(/validating/);
    expect(output).not.toMatch(/^error /m);
    expect(run.status, output).toBe(0);
  }, 150_000);
});
