// Pseudonymising the references an erased person leaves in the records that must stay (issue 15 §2):
// access events name them (person id), the audit trail names them and their credentials (targets
// `person:<id>`, `credential:<id>`, details), alarms may mention them. Each reference is replaced by
// a random pseudonym that nothing maps back; a record of a keyed chain keeps its original MAC, which
// the next record chains from, and gets a seal (storage/chain.ts sealMac) over what it now holds, so
// `audit verify` still finds every chain intact and would still find any other change.
//
// References are replaced as whole tokens (an id never matches inside a longer id), in JSON values
// and in the target and message strings.

import { type Kysely, type SqlBool, sql, type Transaction } from 'kysely';
import type { AlarmTables } from '../alarms/tables.ts';
import { auditCanonical } from '../storage/audit-log.ts';
import { type ChainKeys, sealMac } from '../storage/chain.ts';
import type { Dialect } from '../storage/db.ts';
import { eventCanonical } from '../storage/events.ts';
import type { Database } from '../storage/schema.ts';
import { AUDIT_CHAIN, eventChain, writeSeal } from './chain-overlays.ts';

type Tx = Transaction<Database>;

export interface RedactionCounts {
  events: number;
  audit: number;
  alarms: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces each id (as a whole token) by its pseudonym, in strings and JSON values. */
export class Replacer {
  private readonly pattern: RegExp | undefined;

  constructor(private readonly map: ReadonlyMap<string, string>) {
    const ids = [...map.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern =
      ids.length === 0
        ? undefined
        : new RegExp(`(?<![\\p{L}\\p{N}._@-])(?:${ids.join('|')})(?![\\p{L}\\p{N}._@-])`, 'gu');
  }

  text(value: string): string {
    return this.pattern ? value.replace(this.pattern, (id) => this.map.get(id) ?? id) : value;
  }

  json(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.json(v)]));
    return value;
  }

  /** Stored JSON text with the references replaced (key order kept, so canonical bytes stay canonical). */
  jsonText(text: string): string {
    try {
      return JSON.stringify(this.json(JSON.parse(text)));
    } catch {
      return this.text(text);
    }
  }
}

function contains(dialect: Dialect, column: string, needle: string) {
  return dialect === 'postgres'
    ? sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`
    : sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`;
}

/** Pseudonymises every reference to `personId` (and the ids in `map`) in events, audit and alarms. */
export async function redactReferences(
  tx: Tx,
  dialect: Dialect,
  keys: ChainKeys,
  personId: string,
  map: ReadonlyMap<string, string>,
  now: number,
): Promise<RedactionCounts> {
  const replace = new Replacer(map);
  const counts: RedactionCounts = { events: 0, audit: 0, alarms: 0 };

  // Access events: by the person index, in batches.
  const pseudonym = map.get(personId) ?? personId;
  for (;;) {
    const rows = await tx
      .selectFrom('events')
      .selectAll()
      .where('person_id', '=', personId)
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const fields = {
        controller_id: row.controller_id,
        seq: Number(row.seq),
        at: Number(row.at),
        type: row.type,
        door: row.door,
        area: row.area,
        person_id: pseudonym,
        detail: replace.jsonText(row.detail),
      };
      await tx
        .updateTable('events')
        .set({ person_id: fields.person_id, detail: fields.detail })
        .where('id', '=', row.id)
        .execute();
      if (row.chain_index !== null && row.mac !== null) {
        const index = Number(row.chain_index);
        const chain = eventChain(row.controller_id);
        const seal = sealMac(keys.events, chain, index, row.mac, eventCanonical(index, fields));
        await writeSeal(tx, chain, index, seal, now);
      }
      counts.events++;
    }
  }

  // The audit trail: every record whose target or detail holds one of the ids.
  const ids = [...map.keys()];
  for (let i = 0; i < ids.length; i += 50) {
    const slice = ids.slice(i, i + 50);
    const rows = await tx
      .selectFrom('audit_log')
      .selectAll()
      .where((eb) =>
        eb.or(slice.flatMap((id) => [contains(dialect, 'target', id), contains(dialect, 'detail', id)])),
      )
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const target = replace.text(row.target);
      const detail = replace.jsonText(row.detail);
      if (target === row.target && detail === row.detail) continue;
      const id = Number(row.id);
      const canonical = auditCanonical(id, {
        at: Number(row.at),
        actor: row.actor,
        source: row.source,
        action: row.action,
        target,
        detail,
      });
      await tx.updateTable('audit_log').set({ target, detail }).where('id', '=', id).execute();
      await writeSeal(tx, AUDIT_CHAIN, id, sealMac(keys.audit, AUDIT_CHAIN, id, row.hash, canonical), now);
      counts.audit++;
    }
  }

  // Alarms are not chained: rewritten in place.
  const adb = tx as unknown as Kysely<Database & AlarmTables>;
  for (const id of ids) {
    const rows = await adb
      .selectFrom('alarms')
      .select(['id', 'message', 'detail', 'source'])
      .where((eb) =>
        eb.or([contains(dialect, 'detail', id), contains(dialect, 'message', id), eb('source', '=', id)]),
      )
      .execute();
    for (const row of rows) {
      const next = {
        message: replace.text(row.message),
        detail: replace.jsonText(row.detail),
        source: replace.text(row.source),
      };
      if (next.message === row.message && next.detail === row.detail && next.source === row.source) continue;
      await adb.updateTable('alarms').set(next).where('id', '=', row.id).execute();
      counts.alarms++;
    }
  }
  return counts;
}
