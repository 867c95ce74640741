// Steps several e2e tests share, done through the console as an operator would.

import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const ADMIN = {
  username: 'chief',
  password: 'correct horse battery staple 7',
  displayName: '警備 太郎',
};

/** A TOTP code for `offsetSteps` steps from now (a step already used cannot be used again). */
export function totpCode(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30, period: 30 });
}

/** First run: setup token → administrator → sign in → enrol an authenticator app → backup codes. */
export async function firstRunWithTotp(page: Page, origin: string, setupToken: string) {
  await page.goto(`${origin}/setup`);
  await page.getByLabel('Setup token').fill(setupToken);
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Display name').fill(ADMIN.displayName);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Repeat the password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByText(`Administrator ${ADMIN.username} was created`).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  // exact: "Sign in with SSO" is there too when single sign-on is configured
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Add a second factor' }).waitFor();
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  expect(await page.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Confirm and turn on' }).click();
  await page.getByRole('heading', { name: 'Backup codes' }).waitFor();
  const codes = await page.locator('.backup-codes code').allTextContents();
  expect(codes.length).toBe(10);
  await page.getByRole('button', { name: 'I have stored them' }).click();
  await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
  return { secret, backupCodes: codes };
}

/** Collects what the browser reports as errors, CSP violations included. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    // The session probe answers 401 while nobody is signed in; Chromium logs that as a failed load.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}
