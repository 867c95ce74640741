// What the data lifecycle leaves on the keyed chains (storage/chain.ts), read back for verification
// and written by a purge or an erasure:
// - a floor per purged chain: it now starts at `first_index`, after the record whose MAC is
//   `prev_mac`; the floor is sealed under the chain key, so a forged or moved floor is not believed
//   (the purged records are then reported missing, as they would be without one);
// - a seal per record pseudonymised by an erasure (sealMac).
// The chain keys are those of storage/chain.ts: `audit` for the audit chain, `events` for every
// controller's event chain.

import type { Kysely, Transaction } from 'kysely';
import { type ChainKeys, type ChainOverlay, floorMac, sameMac } from '../storage/chain.ts';
import type { Database } from '../storage/schema.ts';
import { lifecycleDb } from './tables.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const AUDIT_CHAIN = 'audit';
export const eventChain = (controllerId: string) => `events:${controllerId}`;

const keyFor = (keys: ChainKeys, chain: string) => (chain === AUDIT_CHAIN ? keys.audit : keys.events);

export interface ChainOverlays {
  audit: ChainOverlay;
  /** by controller id */
  events: Map<string, ChainOverlay>;
  /** floors whose seal does not verify (ignored) */
  problems: string[];
}

export async function readChainOverlays(db: Db, keys: ChainKeys): Promise<ChainOverlays> {
  const ldb = lifecycleDb(db);
  const floors = await ldb.selectFrom('chain_floors').selectAll().execute();
  const seals = await ldb.selectFrom('chain_seals').select(['chain', 'position', 'seal']).execute();
  const byChain = new Map<
    string,
    { floor?: { first: number; prevMac: string }; seals: Map<number, string> }
  >();
  const entry = (chain: string) => {
    let e = byChain.get(chain);
    if (!e) {
      e = { seals: new Map() };
      byChain.set(chain, e);
    }
    return e;
  };
  const problems: string[] = [];
  for (const f of floors) {
    const first = Number(f.first_index);
    if (!sameMac(floorMac(keyFor(keys, f.chain), f.chain, first, f.prev_mac), f.seal)) {
      problems.push(`${f.chain}: the purge floor at #${first} is not genuine (ignored)`);
      continue;
    }
    entry(f.chain).floor = { first, prevMac: f.prev_mac };
  }
  for (const s of seals) entry(s.chain).seals.set(Number(s.position), s.seal);
  const events = new Map<string, ChainOverlay>();
  for (const [chain, overlay] of byChain)
    if (chain.startsWith('events:')) events.set(chain.slice('events:'.length), overlay);
  return { audit: byChain.get(AUDIT_CHAIN) ?? { seals: new Map() }, events, problems };
}

/** Moves a chain's floor to `first` (after the record with `prevMac`); floors only move forward. */
export async function writeFloor(
  db: Db,
  keys: ChainKeys,
  chain: string,
  first: number,
  prevMac: string,
  now: number,
): Promise<void> {
  const seal = floorMac(keyFor(keys, chain), chain, first, prevMac);
  const ldb = lifecycleDb(db);
  const existing = await ldb
    .selectFrom('chain_floors')
    .select('first_index')
    .where('chain', '=', chain)
    .executeTakeFirst();
  if (existing && Number(existing.first_index) >= first) return;
  if (existing)
    await ldb
      .updateTable('chain_floors')
      .set({ first_index: first, prev_mac: prevMac, at: now, seal })
      .where('chain', '=', chain)
      .execute();
  else
    await ldb
      .insertInto('chain_floors')
      .values({ chain, first_index: first, prev_mac: prevMac, at: now, seal })
      .execute();
}

/** Records (or replaces) the seal of a pseudonymised record; a purge removes seals below the floor. */
export async function writeSeal(
  db: Db,
  chain: string,
  position: number,
  seal: string,
  now: number,
): Promise<void> {
  const ldb = lifecycleDb(db);
  await ldb.deleteFrom('chain_seals').where('chain', '=', chain).where('position', '=', position).execute();
  await ldb.insertInto('chain_seals').values({ chain, position, seal, at: now }).execute();
}

export async function dropSealsBelow(db: Db, chain: string, first: number): Promise<void> {
  await lifecycleDb(db)
    .deleteFrom('chain_seals')
    .where('chain', '=', chain)
    .where('position', '<', first)
    .execute();
}
