// Debian's Chromium (never a downloaded browser) driven by playwright-core, for the console's e2e
// tests. `.ci/run` installs it (`apt-get install -y chromium`); where it is absent the e2e files
// skip with a message saying so. Each launch gets an empty profile directory, and the server's
// self-signed certificate is trusted by its public-key hash only (so passkeys, which Chromium refuses
// on certificate errors, work as on a properly certified server).
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MONBAN_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable)
  process.stderr.write(
    `e2e: skipped, no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\`, as .ci/run does)\n`,
  );

export const ARTEFACTS = new URL('../../../test-results/e2e/', import.meta.url).pathname;

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** base64 SHA-256 of the certificate's public key, as --ignore-certificate-errors-spki-list wants. */
export function spkiHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export async function launchBrowser(options: {
  certPem: string;
  /** more certificates to trust (another server the test runs, such as an OpenID Connect provider) */
  alsoTrust?: string[];
  locale?: string;
  viewport?: { width: number; height: number };
}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'monban-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--ignore-certificate-errors-spki-list=${[options.certPem, ...(options.alsoTrust ?? [])].map(spkiHash).join(',')}`,
      ...(options.locale ? [`--lang=${options.locale}`] : []),
    ],
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1280, height: 800 },
    timezoneId: 'Europe/London',
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Keeps a screenshot as a test artefact (test-results/e2e, not committed). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTEFACTS, { recursive: true });
  const path = join(ARTEFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
