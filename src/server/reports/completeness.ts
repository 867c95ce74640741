// Evidence that an access record is complete, per controller whose doors a report covers:
// - sequence gaps: each controller numbers every event it journals; a number missing between the
//   last event before the window and the first after it is an event the server never stored (or
//   one removed). Events still waiting on the controller (its last reported journal backlog) are
//   named too, as is a controller never heard from;
// - chain status: the window's events, with one neighbour each side, re-checked against the
//   controller's keyed MAC chain (storage/chain.ts) — any edit, insertion or removal inside breaks
//   it — and whether a signed checkpoint outside the database (audit/anchors.ts) already covers the
//   window's last event, so cutting the chain back would show too.

import { sql } from 'kysely';
import { z } from 'zod';
import { readAnchors } from '../audit/anchors.ts';
import { GENESIS, linkMac, sameMac } from '../storage/chain.ts';
import { eventCanonical } from '../storage/events.ts';
import type { ReportDb } from './tables.ts';

export interface ChainEvidence {
  /** positions re-checked (the window and one neighbour each side) */
  checked: number;
  from: number | null;
  to: number | null;
  /** stretches that fail: changed, missing or unchained rows */
  problems: { from: number; to: number; problem: 'changed' | 'missing' | 'unchained' }[];
  /** the controller's chain head as the last signed checkpoint saw it (null: none kept or none yet) */
  anchoredHead: number | null;
  /** the window's last event is covered by a signed checkpoint */
  anchored: boolean;
}

export interface ControllerEvidence {
  controllerId: string;
  events: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** missing sequence numbers around and inside the window */
  gaps: { from: number; to: number }[];
  /** the controller's journal backlog when it was last heard from (null: never reported) */
  pendingAtController: number | null;
  lastSeenAt: number | null;
  chain: ChainEvidence;
}

export interface Completeness {
  /** no gaps, nothing pending, every chain intact */
  complete: boolean;
  controllers: ControllerEvidence[];
  /** the anchor file's own problems (a removed or forged checkpoint) */
  anchorProblems: string[];
}

export interface EvidenceKeys {
  events: Buffer;
  verifying: import('node:crypto').KeyObject;
  anchorFile: string | undefined;
}

async function gaps(db: ReportDb, controllerId: string, lo: number, hi: number) {
  if (hi <= lo) return [];
  const rows = await sql<{ seq: number; next: number }>`
    select seq, next from (
      select seq, lead(seq) over (order by seq) as next from events
      where controller_id = ${controllerId} and seq >= ${lo} and seq <= ${hi}
    ) s where next - seq > 1`.execute(db);
  return rows.rows.map((r) => ({ from: Number(r.seq) + 1, to: Number(r.next) - 1 }));
}

async function checkChain(
  db: ReportDb,
  key: Buffer,
  controllerId: string,
  lo: number,
  hi: number,
): Promise<Omit<ChainEvidence, 'anchoredHead' | 'anchored'>> {
  const problems: ChainEvidence['problems'] = [];
  const mark = (index: number, problem: ChainEvidence['problems'][number]['problem'], to = index) => {
    const last = problems.at(-1);
    if (last && last.problem === problem && last.to + 1 === index) last.to = to;
    else problems.push({ from: index, to, problem });
  };
  let prev: { index: number; mac: string } | undefined = lo <= 1 ? { index: 0, mac: GENESIS } : undefined;
  let checked = 0;
  let after = Math.max(0, lo - 1) - 1;
  for (;;) {
    const rows = await db
      .selectFrom('events')
      .selectAll()
      .where('controller_id', '=', controllerId)
      .where('chain_index', '>', after)
      .where('chain_index', '<=', hi + 1)
      .orderBy('chain_index')
      .limit(5000)
      .execute();
    for (const row of rows) {
      const index = Number(row.chain_index);
      const fields = { ...row, seq: Number(row.seq), at: Number(row.at) };
      const canonical = eventCanonical(index, fields);
      checked++;
      if (prev && index > prev.index + 1) mark(prev.index + 1, 'missing', index - 1);
      // The first row read only anchors the check (its predecessor is not read), unless it is #1.
      if (prev && index === prev.index + 1 && !sameMac(linkMac(key, prev.mac, canonical), row.mac ?? ''))
        mark(index, 'changed');
      prev = { index, mac: row.mac ?? '' };
      after = index;
    }
    if (rows.length < 5000) break;
  }
  const unchained = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('controller_id', '=', controllerId)
    .where('chain_index', 'is', null)
    .executeTakeFirst();
  if (Number(unchained?.n ?? 0) > 0) problems.push({ from: 0, to: 0, problem: 'unchained' });
  return { checked, from: checked > 0 ? Math.max(1, lo - 1) : null, to: prev?.index ?? null, problems };
}

/**
 * Evidence for these controllers over [from, until). One pass per controller over the window's
 * events (sequence numbers by index, MACs recomputed), so it costs about as much as reading them.
 */
export async function completeness(
  db: ReportDb,
  keys: EvidenceKeys,
  controllerIds: readonly string[],
  from: number,
  until: number,
): Promise<Completeness> {
  const anchors = keys.anchorFile ? readAnchors(keys.anchorFile, keys) : undefined;
  const controllers: ControllerEvidence[] = [];
  for (const controllerId of [...new Set(controllerIds)].sort()) {
    const span = await db
      .selectFrom('events')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('seq').as('first_seq'),
        eb.fn.max('seq').as('last_seq'),
        eb.fn.min('chain_index').as('first_index'),
        eb.fn.max('chain_index').as('last_index'),
      ])
      .where('controller_id', '=', controllerId)
      .where('at', '>=', from)
      .where('at', '<', until)
      .executeTakeFirst();
    const n = Number(span?.n ?? 0);
    const firstSeq = span?.first_seq == null ? null : Number(span.first_seq);
    const lastSeq = span?.last_seq == null ? null : Number(span.last_seq);
    // The neighbours: the event stored just before the window's first, and just after its last.
    let lo: number | null = null;
    let hi: number | null = null;
    if (firstSeq !== null && lastSeq !== null) {
      const before = await db
        .selectFrom('events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('controller_id', '=', controllerId)
        .where('seq', '<', firstSeq)
        .executeTakeFirst();
      const next = await db
        .selectFrom('events')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('controller_id', '=', controllerId)
        .where('seq', '>', lastSeq)
        .executeTakeFirst();
      lo = before?.seq == null ? 1 : Number(before.seq);
      hi = next?.seq == null ? lastSeq : Number(next.seq);
    }
    const seqGaps = lo === null || hi === null ? [] : await gaps(db, controllerId, lo, hi);
    // A window that begins at the controller's first event: sequences below it are missing too.
    if (lo === 1 && firstSeq !== null && firstSeq > 1) {
      const stored = await db
        .selectFrom('events')
        .select('seq')
        .where('controller_id', '=', controllerId)
        .where('seq', '=', 1)
        .executeTakeFirst();
      if (!stored) seqGaps.unshift({ from: 1, to: firstSeq - 1 });
    }
    const link = await db
      .selectFrom('controller_links')
      .select(['journal_pending', 'last_seen_at'])
      .where('controller_id', '=', controllerId)
      .executeTakeFirst();
    const firstIndex = span?.first_index == null ? null : Number(span.first_index);
    const lastIndex = span?.last_index == null ? null : Number(span.last_index);
    const chain =
      firstIndex === null || lastIndex === null
        ? { checked: 0, from: null, to: null, problems: [] }
        : await checkChain(db, keys.events, controllerId, firstIndex, lastIndex);
    const anchoredHead = anchors?.events.get(controllerId)?.index ?? null;
    controllers.push({
      controllerId,
      events: n,
      firstSeq,
      lastSeq,
      gaps: seqGaps,
      pendingAtController: link?.journal_pending == null ? null : Number(link.journal_pending),
      lastSeenAt: link?.last_seen_at == null ? null : Number(link.last_seen_at),
      chain: {
        ...chain,
        anchoredHead,
        anchored: lastIndex === null || (anchoredHead !== null && anchoredHead >= lastIndex),
      },
    });
  }
  return {
    complete: controllers.every(
      (c) => c.gaps.length === 0 && (c.pendingAtController ?? 0) === 0 && c.chain.problems.length === 0,
    ),
    controllers,
    anchorProblems: anchors?.problems ?? [],
  };
}

export const completenessSchema = z
  .object({
    complete: z
      .boolean()
      .meta({ description: 'no sequence gaps, nothing pending at a controller, every chain intact' }),
    controllers: z.array(
      z.object({
        controllerId: z.string(),
        events: z.number().int(),
        firstSeq: z.number().int().nullable(),
        lastSeq: z.number().int().nullable(),
        gaps: z.array(z.object({ from: z.number().int(), to: z.number().int() })),
        pendingAtController: z.number().int().nullable(),
        lastSeenAt: z.iso.datetime().nullable(),
        chain: z.object({
          checked: z.number().int(),
          from: z.number().int().nullable(),
          to: z.number().int().nullable(),
          problems: z.array(
            z.object({
              from: z.number().int(),
              to: z.number().int(),
              problem: z.enum(['changed', 'missing', 'unchained']),
            }),
          ),
          anchoredHead: z.number().int().nullable(),
          anchored: z.boolean(),
        }),
      }),
    ),
    anchorProblems: z.array(z.string()),
  })
  .meta({ id: 'Completeness' });

export function completenessOut(c: Completeness): z.input<typeof completenessSchema> {
  return {
    ...c,
    controllers: c.controllers.map((x) => ({
      ...x,
      lastSeenAt: x.lastSeenAt === null ? null : new Date(x.lastSeenAt).toISOString(),
    })),
  };
}

/** The chain keys and anchor file of the security plugin of this request's app. */
export function evidenceKeys(request: import('fastify').FastifyRequest): EvidenceKeys {
  const security = (
    request.server as unknown as {
      security?: {
        ctx: {
          anchorKeys: { events: Buffer; verifying: import('node:crypto').KeyObject };
          anchorFile: string | undefined;
        };
      };
    }
  ).security;
  if (!security) throw new Error('the reports need the security plugin (chain keys)');
  return {
    events: security.ctx.anchorKeys.events,
    verifying: security.ctx.anchorKeys.verifying,
    anchorFile: security.ctx.anchorFile,
  };
}
