// The PDF of the compliance report: the HTML page printed by Debian's Chromium, driven by
// playwright-core (never a downloaded browser). The page has no script and loads nothing, and the
// browser gets no network: JavaScript is off and every request the page might make is refused.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export class PdfUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfUnavailable';
  }
}

export function chromiumPath(env: Record<string, string | undefined> = process.env): string {
  return env.MONBAN_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * Whether fontconfig knows a font with Japanese glyphs (Chromium prints boxes without one); undefined
 * when fontconfig cannot be asked.
 */
export function japaneseFontInstalled(): boolean | undefined {
  try {
    return (
      execFileSync('fc-list', [':lang=ja', 'family'], { encoding: 'utf8', timeout: 5_000 }).trim() !== ''
    );
  } catch {
    return undefined;
  }
}

/** A4 PDF bytes of `html`; PdfUnavailable when Chromium or playwright-core is not installed. */
export async function htmlToPdf(html: string, executablePath = chromiumPath()): Promise<Buffer> {
  if (!existsSync(executablePath))
    throw new PdfUnavailable(
      `no Chromium at ${executablePath} (install it with \`apt-get install -y chromium\`, or set MONBAN_CHROMIUM); use --format html`,
    );
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new PdfUnavailable('playwright-core is not installed (npm ci installs it); use --format html');
  }
  const profile = mkdtempSync(join(tmpdir(), 'monban-pdf-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    javaScriptEnabled: false,
    offline: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
