// Use counts counted at the server and shared by every controller (issue 9 §3). An online controller
// claims a use before it grants a credential with a limit; the claim is one conditional UPDATE, so of
// two controllers claiming the last use at once exactly one gets it. A use a controller granted while
// it could not reach the server is counted when its event comes in (even past the limit: what was
// granted offline was granted), and snapshots issued after give every controller what is left.

import type { Executor } from '../storage/db.ts';

export interface UseAnswer {
  granted: boolean;
  /** uses left after this one; null: the server knows no limit for it */
  remaining: number | null;
}

/** Claims one use of the credential controllers know by `key` (`TYPE:<keyed hash>`). */
export async function claimUse(db: Executor, key: string): Promise<UseAnswer> {
  const colon = key.indexOf(':');
  const [type, hash] = [key.slice(0, colon), key.slice(colon + 1)];
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'max_uses'])
    .where('type', '=', type)
    .where(type === 'pin' ? 'identifier' : 'ref_hash', '=', hash)
    .executeTakeFirst();
  // Not known here, or no limit: nothing to count; the controller decides on its policy.
  if (!row || row.max_uses === null) return { granted: true, remaining: null };
  const claimed = await db
    .updateTable('credentials')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', row.id)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .executeTakeFirst();
  const after = await db
    .selectFrom('credentials')
    .select(['uses', 'max_uses'])
    .where('id', '=', row.id)
    .executeTakeFirst();
  const remaining = Math.max(0, Number(after?.max_uses ?? 0) - Number(after?.uses ?? 0));
  return { granted: Number(claimed.numUpdatedRows) === 1, remaining };
}

/** A use granted without a claim (the controller was offline), counted once its event is in. */
export async function countUnclaimedUse(db: Executor, credentialId: string): Promise<void> {
  await db
    .updateTable('credentials')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', credentialId)
    .where('max_uses', 'is not', null)
    .execute();
}
