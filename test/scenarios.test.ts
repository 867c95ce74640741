// The scenario library (scenarios/*.yaml) is the executable form of the access rules: every file
// must run green. Malformed files (scenarios/malformed/*.yaml) must be rejected with the line and
// the problem, as each file's leading comment says (`# expect-error: LINE: TEXT`).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../src/scenario/load.ts';
import { formatFailure } from '../src/scenario/report.ts';
import { runScenario } from '../src/scenario/run.ts';

const dir = new URL('../scenarios/', import.meta.url).pathname;
const yamlIn = (folder: string) =>
  readdirSync(folder)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('scenario library', () => {
  const files = yamlIn(dir);
  it('holds at least 40 scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });
  for (const file of files) {
    it(file, () => {
      const result = runScenario(loadScenario(readFileSync(join(dir, file), 'utf8'), `scenarios/${file}`));
      expect(result.ok, formatFailure(result)).toBe(true);
    });
  }
});

describe('malformed scenarios', () => {
  const folder = join(dir, 'malformed');
  for (const file of yamlIn(folder)) {
    it(`${file} is rejected with its line and problem`, () => {
      const text = readFileSync(join(folder, file), 'utf8');
      const expected = /^# expect-error: (\d+): (.+)$/m.exec(text);
      expect(expected, `${file} needs a "# expect-error: LINE: TEXT" comment`).not.toBeNull();
      let error: unknown;
      try {
        runScenario(loadScenario(text, file));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      const { line, message } = error as ScenarioError;
      expect(message).toContain(expected![2]!.trim());
      expect(line).toBe(Number(expected![1]));
    });
  }
});
