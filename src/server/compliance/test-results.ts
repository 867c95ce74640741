// The outcome of the mapped tests in a test run: the JSON that `vitest run --reporter=json
// --outputFile=FILE` writes (the Jest-compatible shape: one entry per test file, one assertion
// result per test). CI keeps that file; given to the report, it shows for each mapped test whether
// it passed in that run, so the document proves the tests pass, not only that they exist.

import { readFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { z } from 'zod';

export const TEST_OUTCOMES = ['passed', 'failed', 'skipped', 'not-run'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

const resultsSchema = z.object({
  startTime: z.number().optional(),
  success: z.boolean().optional(),
  testResults: z
    .array(
      z.object({
        name: z.string().min(1),
        assertionResults: z.array(z.object({ title: z.string(), status: z.string() })),
      }),
    )
    .max(100_000),
});

export interface TestResults {
  /** where the results were read from */
  file: string;
  /** when the run started (ms), when the file says */
  startedAt: number | undefined;
  outcome(file: string, name: string): TestOutcome;
}

const key = (file: string, name: string) => `${file}\u0000${name}`;

/** Reads a vitest JSON report; test files are matched relative to `root` (the repository). */
export function readTestResults(path: string, root: string): TestResults {
  let parsed: z.infer<typeof resultsSchema>;
  try {
    parsed = resultsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    const why =
      error instanceof z.ZodError ? 'not a vitest JSON report (--reporter=json)' : (error as Error).message;
    throw new Error(`${path}: ${why}`);
  }
  const outcomes = new Map<string, TestOutcome>();
  for (const suite of parsed.testResults) {
    const file = (isAbsolute(suite.name) ? relative(root, suite.name) : suite.name).split(sep).join('/');
    for (const test of suite.assertionResults) {
      const outcome: TestOutcome =
        test.status === 'passed' ? 'passed' : test.status === 'failed' ? 'failed' : 'skipped';
      const k = key(file, test.title);
      // The same title twice in a file (two describe blocks): it passed only if every one passed.
      const before = outcomes.get(k);
      if (before === 'failed' || (before === 'skipped' && outcome === 'passed')) continue;
      outcomes.set(k, outcome);
    }
  }
  return {
    file: path,
    startedAt: parsed.startTime,
    outcome: (file, name) => outcomes.get(key(file, name)) ?? 'not-run',
  };
}
