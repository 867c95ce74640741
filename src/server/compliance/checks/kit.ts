// What every live check of the compliance report shares: its result type, the context it reads
// (the site's store and settings, never written to) and small helpers for the bilingual values
// ("yes, 3/3" / "はい、3/3").

import type { ServerConfig } from '../../config.ts';
import type { Page } from '../../storage/cursor.ts';
import type { Store } from '../../storage/db.ts';
import type { CheckId } from '../check-ids.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'na';

export interface Localized {
  ja: string;
  en: string;
}

export interface CheckOutcome {
  id: CheckId;
  status: CheckStatus;
  /** the check's name, e.g. "MFA for all administrators" */
  label: Localized;
  /** what was found, e.g. "yes, 3/3" */
  value: Localized;
  /** n of m where the check counts */
  count?: { ok: number; total: number };
  /** a few lines of detail (names, versions); never a secret */
  details: Localized[];
}

export interface CheckContext {
  store: Store;
  installationKey: Uint8Array;
  config: ServerConfig;
  env: Record<string, string | undefined>;
  anchorFile: string;
  now: number;
  /** the results of `monban doctor` for this deployment (certificate, data directory), when run */
  doctor?: readonly { name: string; status: 'pass' | 'warn' | 'fail' | 'skip'; detail: string }[];
}

export type Check = (ctx: CheckContext) => Promise<Omit<CheckOutcome, 'id'>>;

export const DAY = 86_400_000;
export const t = (ja: string, en: string): Localized => ({ ja, en });
export const yesNo = (ok: boolean, ja = '', en = ''): Localized =>
  t(`${ok ? 'はい' : 'いいえ'}${ja ? `、${ja}` : ''}`, `${ok ? 'yes' : 'no'}${en ? `, ${en}` : ''}`);
export const ratio = (ok: number, total: number) => `${ok}/${total}`;
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Every page of a store listing. */
export async function all<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}
