// Events as people read them: a controller names a credential by its keyed hash (`card:<64 hex>`;
// it holds no card number), the server by its safe reference — `card:C-1001` (type and identifier),
// `pin#<credential id>` for a PIN-only credential, never digits. Resolved once per event batch at
// ingest with one query; a hash that matches no stored credential (one deleted since) becomes
// `card:#<first 8 hex>`, so repeats of the same unknown card can still be told apart.

import { credentialIdHash } from '../../contracts/credential-key.ts';
import type { ControllerEvent } from '../../contracts/messages.ts';
import type { KeyDb } from '../keys/store.ts';
import { type Executor, inTransaction } from '../storage/db.ts';

const HASHED = /^(card|mobile|key|biometric|pin):([0-9a-f]{64})$/;
/** Rows backfilled per statement when credentials from before ref hashes are first met. */
const BACKFILL_CHUNK = 500;

interface Resolved {
  ref: string;
  credentialId?: string;
  /** a time-limited key (src/server/keys/): `key#<key id>` */
  keyId?: string;
}

export function safeCredentialRef(c: { id: string; type: string; identifier: string | null }): string {
  return c.type === 'pin' || c.identifier === null ? `pin#${c.id}` : `${c.type}:${c.identifier}`;
}

/** Credentials stored before ref hashes existed get theirs (once; later calls find none). */
async function backfill(db: Executor, credentialKey: Uint8Array): Promise<number> {
  let filled = 0;
  for (;;) {
    const rows = await db
      .selectFrom('credentials')
      .select(['id', 'type', 'identifier'])
      .where('ref_hash', 'is', null)
      .where('type', '!=', 'pin')
      .where('identifier', 'is not', null)
      .limit(BACKFILL_CHUNK)
      .execute();
    if (rows.length === 0) return filled;
    // One transaction per chunk: row by row, each update was its own commit (100,000 legacy
    // credentials took minutes and held the event loop, so a connected controller lost its link).
    await inTransaction(db, async (tx) => {
      for (const r of rows)
        await tx
          .updateTable('credentials')
          .set({ ref_hash: credentialIdHash(credentialKey, r.type, r.identifier!) })
          .where('id', '=', r.id)
          .execute();
    });
    filled += rows.length;
    // Let requests and the broker run between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function lookup(db: Executor, hashes: readonly string[]): Promise<Map<string, Resolved>> {
  const found = new Map<string, Resolved>();
  if (hashes.length === 0) return found;
  const rows = await db
    .selectFrom('credentials')
    .select(['id', 'type', 'identifier', 'ref_hash'])
    .where((eb) =>
      eb.or([
        eb('ref_hash', 'in', [...hashes]),
        eb.and([eb('type', '=', 'pin'), eb('identifier', 'in', [...hashes])]),
      ]),
    )
    .execute();
  for (const r of rows) {
    const hash = r.type === 'pin' ? r.identifier : r.ref_hash;
    if (hash) found.set(hash, { ref: safeCredentialRef(r), credentialId: r.id });
  }
  if (found.size < hashes.length) {
    const keys = await (db as unknown as KeyDb)
      .selectFrom('access_keys')
      .select(['id', 'ref_hash'])
      .where('ref_hash', 'in', [...hashes])
      .execute();
    for (const k of keys)
      if (!found.has(k.ref_hash)) found.set(k.ref_hash, { ref: `key#${k.id}`, keyId: k.id });
  }
  return found;
}

/** The events with `detail.credential` as a safe reference and `detail.credentialId` when known. */
export async function resolveCredentialRefs(
  db: Executor,
  /** to give credentials stored before ref hashes theirs (none: they stay unresolved) */
  credentialKey: Uint8Array | undefined,
  events: readonly ControllerEvent[],
): Promise<ControllerEvent[]> {
  const hashes = new Set<string>();
  for (const e of events) {
    const match = typeof e.detail.credential === 'string' ? HASHED.exec(e.detail.credential) : null;
    if (match) hashes.add(match[2]!);
  }
  if (hashes.size === 0) return [...events];
  let found = await lookup(db, [...hashes]);
  if (found.size < hashes.size && credentialKey && (await backfill(db, credentialKey)) > 0)
    found = await lookup(db, [...hashes]);
  return events.map((e) => {
    const match = typeof e.detail.credential === 'string' ? HASHED.exec(e.detail.credential) : null;
    if (!match) return e;
    const resolved = found.get(match[2]!);
    return {
      ...e,
      detail: {
        ...e.detail,
        credential: resolved?.ref ?? `${match[1]}:#${match[2]!.slice(0, 8)}`,
        ...(resolved?.credentialId !== undefined && { credentialId: resolved.credentialId }),
        ...(resolved?.keyId !== undefined && { keyId: resolved.keyId }),
      },
    };
  });
}
