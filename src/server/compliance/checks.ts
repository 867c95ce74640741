// The live checks of the compliance report: what a site's storage and settings say about each item
// of the map ("MFA for all administrators: yes, 3/3"). They only read, through the server's own
// stores and services (auth/store, storage repositories, lifecycle retention, audit anchors, the
// doctor's deployment checks); a check that cannot run is a failure that says why, never an
// exception, so one run shows everything. The checks themselves are in checks/, by subject.

import type { CheckId } from './check-ids.ts';
import { deviceChecks } from './checks/devices.ts';
import { type Check, type CheckContext, type CheckOutcome, t } from './checks/kit.ts';
import { managementChecks } from './checks/management.ts';
import { myNumberChecks } from './checks/my-number.ts';
import { recordChecks } from './checks/records.ts';

export type { CheckContext, CheckOutcome, CheckStatus, Localized } from './checks/kit.ts';

// Every check id has exactly one check: a missing one is a type error here.
const CHECKS: Record<CheckId, Check> = {
  ...managementChecks,
  ...deviceChecks,
  ...recordChecks,
  ...myNumberChecks,
};

/** Runs the named checks (each once); never throws for what it finds. */
export async function runChecks(
  ids: Iterable<CheckId>,
  ctx: CheckContext,
): Promise<Map<CheckId, CheckOutcome>> {
  const out = new Map<CheckId, CheckOutcome>();
  for (const id of ids) {
    if (out.has(id)) continue;
    try {
      out.set(id, { id, ...(await CHECKS[id](ctx)) });
    } catch (error) {
      const message = (error as Error).message;
      out.set(id, {
        id,
        status: 'fail',
        label: t(id, id),
        value: t('確認できません', 'could not be checked'),
        details: [t(message, message)],
      });
    }
  }
  return out;
}
