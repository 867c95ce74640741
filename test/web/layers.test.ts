// The console talks to the server only through its public API: nothing in src/web imports server
// code (its API types are generated from the OpenAPI document into src/web/api/schema.gen.ts) or
// Node APIs. The core's vocabulary may be shared: it is pure.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../src/web/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && name !== 'vite.config.ts' ? [path] : [];
  });
}

describe('console layers', () => {
  it('imports no server, controller or Node code', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        expect(
          /\/(server|controller|cli|osdp|cards|sim|contracts|scenario)\//.test(spec!),
          `${file} imports ${spec}`,
        ).toBe(false);
        expect(spec!.startsWith('node:'), `${file} imports ${spec}`).toBe(false);
      }
    }
  });
});
