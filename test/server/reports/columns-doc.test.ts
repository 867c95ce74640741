// Rule: docs/reports.md names every CSV column of every report, in English and Japanese.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as columns from '../../../src/server/reports/columns.ts';

const doc = readFileSync(new URL('../../../docs/reports.md', import.meta.url), 'utf8');

describe('report columns', () => {
  it('are all documented', () => {
    const lists = Object.entries(columns).filter(([name]) => name.endsWith('_COLUMNS'));
    expect(lists.length).toBeGreaterThan(8);
    for (const [name, list] of lists)
      for (const [en, ja] of list as columns.Columns) {
        expect(doc.includes(en), `${name}: ${en}`).toBe(true);
        expect(doc.includes(ja), `${name}: ${ja}`).toBe(true);
      }
  });
});
