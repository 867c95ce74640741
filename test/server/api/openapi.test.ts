// Rule: the OpenAPI 3.1 document is generated from the same schemas that validate requests, lists
// every route of the route table, never documents a PIN as readable, and is browsable at /api/docs.
// The error catalogue's codes are stable UPPER_SNAKE, and no malformed request makes the server fail.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../src/server/api/routes.ts';
import { API_ERRORS } from '../../../src/server/http/errors.ts';
import { type Api, startApi } from './support.ts';

describe('OpenAPI document and error catalogue', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('documents every route, with PINs write-only', async () => {
    const doc = (await api.get('nobody', '/api/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const route of apiRoutes(api.store)) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
    const credential = doc.components.schemas.Credential;
    expect(Object.keys(credential.properties)).not.toContain('pin');
    expect(Object.keys(doc.components.schemas.CredentialCreate.properties)).toContain('pin');
    const ui = await api.get('nobody', '/api/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('uses stable UPPER_SNAKE codes with 4xx/5xx statuses', () => {
    for (const [code, [status, description]] of Object.entries(API_ERRORS)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it('answers malformed requests with 4xx, never 5xx, and changes nothing', async () => {
    const before = await api.snapshot();
    const urls = [
      '/api/people',
      '/api/credentials',
      '/api/doors',
      '/api/schedules',
      '/api/people/x',
      '/api/credentials/x',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...urls),
        fc.constantFrom('POST', 'PATCH'),
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.object().map((o) => JSON.stringify(o)),
        ),
        async (url, method, payload) => {
          const response = await api.request('admin', method as 'POST', url, payload, {
            'content-type': 'application/json',
          });
          expect(response.statusCode, `${method} ${url} ${payload}`).toBeGreaterThanOrEqual(400);
          expect(response.statusCode).toBeLessThan(500);
          expect(response.json().error.code).toMatch(/^[A-Z_]+$/);
        },
      ),
      { numRuns: 300 },
    );
    expect(await api.snapshot()).toBe(before);
  });
});
