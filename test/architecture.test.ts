// Layer rules (DESIGN.md §5): the core reads no clock and no random source (time is passed in), and
// every import follows scripts/check-layers.ts — shown here to fail on each kind of forbidden import.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile, checkLayers, sources } from '../scripts/check-layers.ts';

const root = new URL('../src/', import.meta.url).pathname;

describe('layers', () => {
  it('the core reads no clock and no randomness', () => {
    const files = sources(join(root, 'core'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const forbidden of ['Date.now(', 'new Date()', 'Math.random(', 'performance.now(', 'crypto.']) {
        expect(text.includes(forbidden), `${file} uses ${forbidden}`).toBe(false);
      }
    }
  });

  it('every import follows the layer rules of DESIGN.md §5', () => {
    expect(checkLayers(root)).toEqual([]);
  });

  // The check can fail: each rule, fed a file that breaks it, names the file and the rule.
  it.each([
    ['server/x.ts', "import { Agent } from '../controller/agent.ts';", 'server may not import controller'],
    [
      'controller/x.ts',
      "import { compose } from '../server/compose.ts';",
      'controller may not import server',
    ],
    ['core/x.ts', "import { z } from 'zod';", 'core imports no package at all'],
    ['core/x.ts', "import { readFileSync } from 'node:fs';", 'core imports no package at all'],
    [
      'contracts/x.ts',
      "import { decide } from '../core/decide.ts';",
      'contracts imports only types from core',
    ],
    [
      'contracts/x.ts',
      "import type { X } from '../server/api/routes.ts';",
      'contracts may not import server',
    ],
    ['osdp/x.ts', "import type { Policy } from '../core/policy.ts';", 'osdp may not import core'],
    ['cards/x.ts', "export * from '../contracts/messages.ts';", 'cards may not import contracts'],
    ['web/x.tsx', "const m = await import('../server/compose.ts');", 'web may not import server'],
  ])('refuses %s with %s', (file, line, why) => {
    const found = checkFile(root, join(root, file), `${line}\n`);
    expect(found.map((v) => v.why)).toEqual([expect.stringContaining(why)]);
  });

  it('allows what the rules allow', () => {
    expect(
      checkFile(root, join(root, 'contracts/x.ts'), "import type { Policy } from '../core/policy.ts';"),
    ).toEqual([]);
    expect(
      checkFile(root, join(root, 'controller/x.ts'), "import { decide } from '../core/decide.ts';"),
    ).toEqual([]);
    expect(checkFile(root, join(root, 'server/x.ts'), "import { z } from 'zod';")).toEqual([]);
  });
});
