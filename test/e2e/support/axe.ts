// axe-core run inside the page (injected through the DevTools protocol, so the console's strict CSP
// stays on): the serious and critical violations, each with where it is.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

interface Violation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

const axeSource: string = createRequire(import.meta.url)('axe-core').source;

export async function seriousViolations(page: Page): Promise<string[]> {
  // Injected once per document: the console navigates without reloading.
  if (!(await page.evaluate<boolean>("'axe' in globalThis"))) await page.evaluate(axeSource);
  // Run in the page; written as a string because this file is compiled without the DOM's types.
  const results = await page.evaluate<
    Violation[]
  >(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`);
  return results
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.slice(0, 3).join(', ')}`);
}
