// "Fails when a mapped test is missing": every test the compliance map names must exist — the file,
// and in it an it() or test() with exactly that title. The titles are read from the source text (no
// test is run), so the check is cheap enough for every report and for `npm test`.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComplianceMap, TestRef } from './schema.ts';

export interface MissingTest extends TestRef {
  item: string;
  reason: 'no-file' | 'no-test';
}

// it('title', …), test("title", …), it.skipIf(cond)('title', …), test.concurrent(`title`, …):
// the callee, optional modifiers (each possibly called), then a plain string literal.
const TITLE =
  /\b(?:it|test)(?:\s*\.\s*[A-Za-z]+(?:\s*\((?:[^()]|\([^()]*\))*\))?)*\s*\(\s*(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1/g;

/** `${` not escaped: a template literal with a hole, whose title is only known when it runs. */
const HOLE = /(?:^|[^\\])(?:\\\\)*\$\{/;

const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** The value of a JavaScript string literal's body, as the test runner sees the title. */
function unescapeLiteral(raw: string): string {
  return raw.replace(
    /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|(\r\n|[\s\S]))/g,
    (_, hex: string, point: string, unit: string, char: string) => {
      if (hex) return String.fromCharCode(Number.parseInt(hex, 16));
      if (point) return String.fromCodePoint(Number.parseInt(point, 16));
      if (unit) return String.fromCharCode(Number.parseInt(unit, 16));
      if (char === '\n' || char === '\r\n' || char === '\r' || char === '\u2028' || char === '\u2029')
        return ''; // line continuation
      return SIMPLE[char] ?? char;
    },
  );
}

/** The literal titles of the tests in a test file's source. */
export function testTitles(source: string): Set<string> {
  const titles = new Set<string>();
  for (const match of source.matchAll(TITLE)) {
    const raw = match[2]!;
    if (match[1] === '`' && HOLE.test(raw)) continue; // a template with holes names no fixed test
    titles.add(unescapeLiteral(raw));
  }
  return titles;
}

/** Every test the map names that does not exist under `root` (the repository). */
export function missingTests(map: ComplianceMap, root: string): MissingTest[] {
  const cache = new Map<string, Set<string> | undefined>();
  const titlesOf = (file: string) => {
    if (!cache.has(file)) {
      const path = join(root, file);
      cache.set(file, existsSync(path) ? testTitles(readFileSync(path, 'utf8')) : undefined);
    }
    return cache.get(file);
  };
  const missing: MissingTest[] = [];
  for (const item of map.items)
    for (const test of item.tests) {
      const titles = titlesOf(test.file);
      if (titles === undefined) missing.push({ ...test, item: item.id, reason: 'no-file' });
      else if (!titles.has(test.name)) missing.push({ ...test, item: item.id, reason: 'no-test' });
    }
  return missing;
}

/** The repository root this module lives in (src/server/compliance/ → ../../../). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
