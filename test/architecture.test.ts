// Layer rules that lint cannot see: the core reads no clock and no random source (time is passed
// in), and the OSDP and card libraries import nothing from the rest of Monban.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../src/', import.meta.url).pathname;

function sources(folder: string): string[] {
  const dir = join(root, folder);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(join(folder, name));
    return name.endsWith('.ts') ? [join(folder, name)] : [];
  });
}

describe('layers', () => {
  it('the core reads no clock and no randomness', () => {
    const files = sources('core');
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const forbidden of ['Date.now(', 'new Date()', 'Math.random(', 'performance.now(', 'crypto.']) {
        expect(text.includes(forbidden), `${file} uses ${forbidden}`).toBe(false);
      }
    }
  });

  it('osdp and cards import nothing from the rest of Monban', () => {
    for (const folder of ['osdp', 'cards']) {
      for (const file of sources(folder)) {
        const text = readFileSync(join(root, file), 'utf8');
        const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
        for (const spec of imports) {
          const outside =
            spec.startsWith('.') &&
            /\.\.\/(core|server|controller|cli|sim|contracts|scenario|web)\//.test(spec);
          expect(outside, `${file} imports ${spec}`).toBe(false);
          expect(
            ['mqtt', 'aedes', 'kysely', 'better-sqlite3', 'pg'].includes(spec),
            `${file} imports ${spec}`,
          ).toBe(false);
        }
      }
    }
  });
});
