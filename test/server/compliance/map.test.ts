// Rule: the compliance map is valid (every item typed, ids unique, a software or configuration item
// names at least one test, a physical or organisational one says what the operator must do), covers
// the IPA checklist items a01–h01 and the My Number physical safeguards, and every test it names
// exists — the file, and in it a test with exactly that title. This file is what makes `npm test`
// fail when a mapped test is renamed or removed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_IDS } from '../../../src/server/compliance/check-ids.ts';
import { COMPLIANCE_MAP } from '../../../src/server/compliance/map.ts';
import { type ComplianceMap, parseMap } from '../../../src/server/compliance/schema.ts';
import { missingTests, REPOSITORY_ROOT, testTitles } from '../../../src/server/compliance/tests-present.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-compliance-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clone = (): ComplianceMap => structuredClone(COMPLIANCE_MAP);

describe('compliance map', () => {
  it('validates, and covers a01–h01 and the My Number physical safeguards', () => {
    expect(() => parseMap(clone())).not.toThrow();
    const ids = COMPLIANCE_MAP.items.map((i) => i.id);
    for (const id of ['a01', 'b01', 'c01', 'd01', 'e01', 'f01', 'g01', 'h01']) expect(ids).toContain(id);
    for (const id of ['mn-e-a', 'mn-e-b', 'mn-e-c', 'mn-e-d']) expect(ids).toContain(id);
    const kinds = new Set(COMPLIANCE_MAP.items.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['configuration', 'organisational', 'physical', 'software']);
    for (const item of COMPLIANCE_MAP.items) {
      if (item.kind === 'software' || item.kind === 'configuration')
        expect(item.tests.length).toBeGreaterThan(0);
      else expect(item.operator.length).toBeGreaterThan(0);
    }
  });

  it('points every feature at a documentation file that exists', () => {
    const docs = COMPLIANCE_MAP.items.flatMap((i) => i.features.map((f) => f.doc.split('#')[0]!));
    expect(docs.filter((d) => !existsSync(join(REPOSITORY_ROOT, d)))).toEqual([]);
  });

  it('uses every live check somewhere', () => {
    const used = new Set(COMPLIANCE_MAP.items.flatMap((i) => i.checks));
    expect(CHECK_IDS.filter((id) => !used.has(id))).toEqual([]);
  });

  it('refuses a software item without a test, an unknown check, a duplicate id and a bad test path', () => {
    const noTest = clone();
    noTest.items[0]!.tests = [];
    expect(() => parseMap(noTest)).toThrow(/items\.0\.tests: software items name at least one test/);
    const unknownCheck = clone() as unknown as { items: { checks: string[] }[] };
    unknownCheck.items[0]!.checks = ['no-such-check'];
    expect(() => parseMap(unknownCheck)).toThrow(/items\.0\.checks\.0/);
    const duplicate = clone();
    duplicate.items[1]!.id = duplicate.items[0]!.id;
    expect(() => parseMap(duplicate)).toThrow(/duplicate id a01/);
    const badPath = clone();
    badPath.items[0]!.tests[0]!.file = '../etc/passwd';
    expect(() => parseMap(badPath)).toThrow(/items\.0\.tests\.0\.file/);
    const physical = clone();
    const item = physical.items.find((i) => i.kind === 'physical')!;
    item.operator = [];
    expect(() => parseMap(physical)).toThrow(/physical items say what the operator must do/);
  });

  it('names only tests that exist', () => {
    expect(missingTests(COMPLIANCE_MAP, REPOSITORY_ROOT)).toEqual([]);
  });

  it('reads back any title written as a single-, double-quoted or template literal (property)', () => {
    const single = (s: string) =>
      `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
    // (a raw CR in a template reads as LF, so it is written escaped)
    const template = (s: string) =>
      `\`${s
        .replace(/[\\`]/g, (c) => `\\${c}`)
        .replace(/\$\{/g, '\\${')
        .replace(/\r/g, '\\r')}\``;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (title) =>
        [JSON.stringify(title), single(title), template(title)].every((literal) => {
          const titles = testTitles(`it(${literal}, () => {});`);
          return titles.size === 1 && titles.has(title);
        }),
      ),
      { numRuns: 300 },
    );
  });

  it('finds a test that is renamed or a file that is gone (a temporary map)', () => {
    mkdirSync(join(dir, 'test'), { recursive: true });
    writeFileSync(
      join(dir, 'test', 'sample.test.ts'),
      [
        "it('keeps the door shut', () => {});",
        'test.skipIf(process.env.X)("opens on fire", () => {});',
        'it(`counts \\`twice\\``, () => {});',
        // a template with a hole names no fixed test
        `it(\`names \${'a'} template\`, () => {});`,
      ].join('\n'),
    );
    expect(testTitles(`it('a', f); test.concurrent("b", f); it.each([1])('c %s', f)`)).toEqual(
      new Set(['a', 'b', 'c %s']),
    );
    const map = clone();
    map.items = [
      {
        ...map.items[0]!,
        tests: [
          { file: 'test/sample.test.ts', name: 'keeps the door shut' },
          { file: 'test/sample.test.ts', name: 'opens on fire' },
          { file: 'test/sample.test.ts', name: 'counts `twice`' },
          { file: 'test/sample.test.ts', name: 'keeps the door open' },
          { file: 'test/gone.test.ts', name: 'anything' },
        ],
      },
    ];
    expect(missingTests(parseMap(map), dir)).toEqual([
      { item: 'a01', file: 'test/sample.test.ts', name: 'keeps the door open', reason: 'no-test' },
      { item: 'a01', file: 'test/gone.test.ts', name: 'anything', reason: 'no-file' },
    ]);
  });
});
