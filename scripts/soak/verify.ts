// The verification at the end of a soak, from the server's storage (its SQLite file or the soak's
// PostgreSQL database, opened after the servers stopped) against what the soak knows for certain:
// - events: every controller's journal, 1 … journalNext−1, is stored exactly once (no gap, no
//   duplicate); and every read the driver saw answered is there as an access event (at most the
//   reads left unanswered by a kill or timeout are there on top);
// - alarms: each alarm a fault must raise (comms_lost for silences past the link timeout, time_drift
//   for clock jumps) was raised once in the fault's window and cleared (resolved); and no server-side
//   comms_lost or time_drift alarm was raised where no fault explains it;
// - revocations: once a controller denied a revoked card, it never granted it again, and at the end
//   every controller denies every revoked card;
// - policy age: no decision outside the offline fallback came from a policy the server had not
//   confirmed within the site's maximum age;
// - no tamper alarm at all: nothing in a soak is an attack, so one is a false alarm (a message
//   resent by MQTT taken for a replay, say) or a real defect;
// - no process died by itself, and the stack recovered after every fault.
import type { Store } from '../../src/server/storage/db.ts';
import type { FaultRecord } from './chaos.ts';
import type { ReadRecord } from './driver.ts';

export interface Revocation {
  card: string;
  credentialId: string;
  /** when the API answered the suspension */
  at: number;
}

export interface ControllerEvents {
  controller: string;
  journaled: number;
  stored: number;
  missing: number[];
  duplicates: number;
  accessStored: number;
  readsAnswered: number;
  readsUncertain: number;
}

export interface AlarmRow {
  id: string;
  type: string;
  source: string;
  message: string;
  raisedAt: number;
  resolvedAt: number | null;
  occurrences: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  events: ControllerEvents[];
  totals: { journaled: number; stored: number; lost: number; duplicated: number };
  alarms: { expected: number; raisedOnce: number; cleared: number; unexplained: AlarmRow[] };
  revocations: { count: number; arrivalMs: { p50: number; max: number } | null; grantsAfterArrival: number };
  policy: { decisions: number; tooOld: number; maxAgeMsSeen: number };
  checks: Check[];
  violations: string[];
  /** seen, not judged: alarms the controllers reported about themselves; and the tamper alarms (judged above) */
  findings: { controllerReported: Record<string, number>; tamper: AlarmRow[] };
}

/** Reads the events and alarms of the soak from storage. */
export async function readStorage(store: Store) {
  const db = store.db as unknown as import('kysely').Kysely<{
    events: { controller_id: string; seq: number; type: string };
    alarms: {
      id: string;
      type: string;
      source: string;
      message: string;
      raised_at: number;
      resolved_at: number | null;
      occurrences: number;
    };
  }>;
  const events = await db.selectFrom('events').select(['controller_id', 'seq', 'type']).execute();
  const alarms = await db
    .selectFrom('alarms')
    .select(['id', 'type', 'source', 'message', 'raised_at', 'resolved_at', 'occurrences'])
    .where('type', 'in', ['comms_lost', 'time_drift', 'tamper'])
    .execute();
  return {
    events: events.map((e) => ({ controller: e.controller_id, seq: Number(e.seq), type: e.type })),
    alarms: alarms.map(
      (a): AlarmRow => ({
        id: a.id,
        type: a.type,
        source: a.source,
        message: a.message,
        raisedAt: Number(a.raised_at),
        resolvedAt: a.resolved_at === null ? null : Number(a.resolved_at),
        occurrences: Number(a.occurrences),
      }),
    ),
  };
}

/** Which sources a fault may make the server raise comms_lost or time_drift for, unasked. */
function mayRaise(f: FaultRecord, source: string): boolean {
  switch (f.kind) {
    case 'server-kill':
    case 'broker-kill':
    case 'pg-terminate':
    case 'disk-full':
      return true;
    default:
      return source === `controller:${f.target}`;
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export function verify(input: {
  storage: Awaited<ReturnType<typeof readStorage>>;
  journalNext: Map<string, number>;
  reads: readonly ReadRecord[];
  timeline: readonly FaultRecord[];
  revocations: readonly Revocation[];
  /** reads made at the end, one per controller and revoked card */
  finalProbes: readonly ReadRecord[];
  maxAgeMs: number;
  crashes: { name: string; count: number }[];
  /** when the chaos began: alarms before it belong to the start-up */
  chaosFrom: number;
  /** what did not come back up (or was not acknowledged) in the settling at the end */
  settleProblems: readonly string[];
}): Verification {
  const violations: string[] = input.settleProblems.map((p) => `settling at the end: ${p}`);
  // ---- events
  const byController = new Map<string, { seqs: number[]; access: number }>();
  for (const e of input.storage.events) {
    const entry = byController.get(e.controller) ?? { seqs: [], access: 0 };
    entry.seqs.push(e.seq);
    if (e.type === 'access') entry.access++;
    byController.set(e.controller, entry);
  }
  const events: ControllerEvents[] = [];
  for (const [controller, next] of input.journalNext) {
    const entry = byController.get(controller) ?? { seqs: [], access: 0 };
    const seen = new Map<number, number>();
    for (const s of entry.seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
    const missing: number[] = [];
    for (let s = 1; s < next; s++) if (!seen.has(s)) missing.push(s);
    const duplicates = [...seen.values()].reduce((n, c) => n + (c - 1), 0);
    const reads = input.reads.filter((r) => r.controller === controller);
    // A denial because the journal could not be written (a full disk) waits in memory for the disk:
    // a kill before it comes back loses it, like a read in hand at a kill.
    const answered = reads.filter(
      (r) => (r.outcome === 'grant' || r.outcome === 'deny') && r.reason !== 'journal_failed',
    ).length;
    const uncertain = reads.length - answered;
    events.push({
      controller,
      journaled: next - 1,
      stored: entry.seqs.length,
      missing,
      duplicates,
      accessStored: entry.access,
      readsAnswered: answered,
      readsUncertain: uncertain,
    });
    if (missing.length > 0)
      violations.push(
        `${controller}: ${missing.length} journaled events missing from storage (first seq ${missing[0]})`,
      );
    if (duplicates > 0) violations.push(`${controller}: ${duplicates} events stored twice`);
    if (entry.access < answered)
      violations.push(
        `${controller}: ${answered} reads answered but only ${entry.access} access events stored`,
      );
    if (entry.access > answered + uncertain)
      violations.push(
        `${controller}: ${entry.access} access events stored for ${answered + uncertain} reads made`,
      );
  }
  const totals = {
    journaled: events.reduce((n, e) => n + e.journaled, 0),
    stored: events.reduce((n, e) => n + e.stored, 0),
    lost: events.reduce((n, e) => n + e.missing.length, 0),
    duplicated: events.reduce((n, e) => n + e.duplicates, 0),
  };

  // ---- alarms (the server's own: message `controller <id>: …`)
  const serverSide = input.storage.alarms.filter(
    (a) => a.type !== 'tamper' && a.message.startsWith(`controller ${a.source.slice('controller:'.length)}:`),
  );
  const windows = input.timeline.map((f, i) => ({
    fault: f,
    from: f.startedAt,
    to: input.timeline[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY,
  }));
  let expected = 0;
  let raisedOnce = 0;
  let cleared = 0;
  for (const w of windows)
    for (const e of w.fault.expected) {
      expected++;
      const rows = serverSide.filter(
        (a) => a.type === e.type && a.source === e.source && a.raisedAt >= w.from && a.raisedAt < w.to,
      );
      // comms_lost comes once per silence: a repeat counted on it would be a second loss (a flap).
      if (rows.length === 1 && (e.type !== 'comms_lost' || rows[0]!.occurrences === 1)) raisedOnce++;
      else if (rows.length === 1)
        violations.push(
          `fault ${w.fault.n} (${w.fault.kind} ${w.fault.target}): the comms_lost alarm for ${e.source} counted ${rows[0]!.occurrences} losses`,
        );
      else
        violations.push(
          `fault ${w.fault.n} (${w.fault.kind} ${w.fault.target}): ${rows.length} ${e.type} alarms for ${e.source}, expected 1`,
        );
      if (rows.length > 0 && rows.every((a) => a.resolvedAt !== null)) cleared++;
      else if (rows.length > 0)
        violations.push(`fault ${w.fault.n}: the ${e.type} alarm for ${e.source} was not cleared`);
    }
  const unexplained = serverSide.filter((a) => {
    if (a.raisedAt < input.chaosFrom) return false;
    const w = windows.find((x) => a.raisedAt >= x.from && a.raisedAt < x.to);
    if (!w) return true;
    return (
      !w.fault.expected.some((e) => e.type === a.type && e.source === a.source) &&
      !mayRaise(w.fault, a.source)
    );
  });
  for (const a of unexplained)
    violations.push(
      `unexplained ${a.type} alarm for ${a.source} at ${new Date(a.raisedAt).toISOString()}: ${a.message}`,
    );

  // ---- revocations
  const arrivals: number[] = [];
  let grantsAfterArrival = 0;
  for (const r of input.revocations) {
    const perController = new Map<string, number>();
    for (const read of input.reads) {
      if (read.card !== r.card || read.sentAt < r.at) continue;
      const arrived = perController.get(read.controller);
      // Arrived: denied as inactive (a deny under the offline fallback says nothing about it).
      if (arrived === undefined && read.outcome === 'deny' && read.reason === 'credential_inactive') {
        perController.set(read.controller, read.sentAt);
        arrivals.push(read.answeredAt - r.at);
      } else if (arrived !== undefined && read.outcome === 'grant') {
        grantsAfterArrival++;
        violations.push(
          `${read.controller} granted ${r.credentialId} at ${new Date(read.sentAt).toISOString()}, after denying it as revoked`,
        );
      }
    }
  }
  for (const p of input.finalProbes)
    if (p.outcome !== 'deny')
      violations.push(
        `${p.controller}: a revoked card got ${p.outcome} at the end (the revocation never arrived)`,
      );
  const sortedArrivals = [...arrivals].sort((a, b) => a - b);

  // ---- policy age
  const decided = input.reads.filter((r) => r.outcome === 'grant' || r.outcome === 'deny');
  let tooOld = 0;
  let maxAgeMsSeen = 0;
  for (const r of decided) {
    if (r.fallback) continue;
    const age = r.policyAgeMs;
    if (age === null || age === undefined) {
      if (r.outcome === 'grant') {
        tooOld++;
        violations.push(`${r.controller} granted without a policy at ${new Date(r.sentAt).toISOString()}`);
      }
      continue;
    }
    maxAgeMsSeen = Math.max(maxAgeMsSeen, age);
    // One agent tick (about a second) of slack: the age is checked at each decision and each tick.
    if (age > input.maxAgeMs + 1500) {
      tooOld++;
      violations.push(
        `${r.controller} decided from a policy ${Math.round(age / 1000)} s old at ${new Date(r.sentAt).toISOString()}`,
      );
    }
  }

  // ---- tamper alarms (server's and controllers' alike)
  const tamper = input.storage.alarms.filter((a) => a.type === 'tamper');
  for (const a of tamper)
    violations.push(`tamper alarm for ${a.source} at ${new Date(a.raisedAt).toISOString()}: ${a.message}`);

  // ---- processes and recovery
  for (const c of input.crashes)
    if (c.count > 0) violations.push(`${c.name} exited by itself ${c.count} times`);
  for (const f of input.timeline)
    for (const p of f.problems) violations.push(`fault ${f.n} (${f.kind} ${f.target}): ${p}`);

  const checks: Check[] = [
    {
      name: 'no event lost',
      ok: totals.lost === 0,
      detail: `${totals.stored} stored of ${totals.journaled} journaled`,
    },
    { name: 'no event duplicated', ok: totals.duplicated === 0, detail: `${totals.duplicated} duplicates` },
    {
      name: 'every answered read stored',
      ok: events.every(
        (e) => e.accessStored >= e.readsAnswered && e.accessStored <= e.readsAnswered + e.readsUncertain,
      ),
      detail: `${events.reduce((n, e) => n + e.readsAnswered, 0)} answered, ${events.reduce((n, e) => n + e.accessStored, 0)} access events`,
    },
    {
      name: 'expected alarms raised once and cleared',
      ok: raisedOnce === expected && cleared === expected,
      detail: `${raisedOnce}/${expected} raised once, ${cleared}/${expected} cleared`,
    },
    {
      name: 'no unexplained alarm',
      ok: unexplained.length === 0,
      detail: `${unexplained.length} unexplained`,
    },
    {
      name: 'revocations arrived and held',
      ok: grantsAfterArrival === 0 && input.finalProbes.every((p) => p.outcome === 'deny'),
      detail: `${input.revocations.length} revocations, ${grantsAfterArrival} grants after arrival, ${input.finalProbes.filter((p) => p.outcome !== 'deny').length} final probes not denied`,
    },
    {
      name: 'no decision from a policy older than allowed',
      ok: tooOld === 0,
      detail: `${decided.length} decisions, oldest policy outside fallback ${Math.round(maxAgeMsSeen / 1000)} s (max ${input.maxAgeMs / 1000} s)`,
    },
    {
      name: 'no tamper alarm',
      ok: tamper.length === 0,
      detail: `${tamper.length} tamper alarms`,
    },
    {
      name: 'no process died by itself',
      ok: input.crashes.every((c) => c.count === 0),
      detail:
        input.crashes
          .filter((c) => c.count > 0)
          .map((c) => `${c.name} ×${c.count}`)
          .join(', ') || 'none',
    },
    {
      name: 'recovered after every fault',
      ok: input.timeline.every((f) => f.problems.length === 0),
      detail: `${input.timeline.filter((f) => f.problems.length > 0).length} faults with problems`,
    },
  ];
  return {
    events,
    totals,
    alarms: { expected, raisedOnce, cleared, unexplained },
    revocations: {
      count: input.revocations.length,
      arrivalMs:
        sortedArrivals.length > 0
          ? { p50: percentile(sortedArrivals, 0.5), max: sortedArrivals.at(-1)! }
          : null,
      grantsAfterArrival,
    },
    policy: { decisions: decided.length, tooOld, maxAgeMsSeen },
    checks,
    violations,
    findings: {
      controllerReported: Object.fromEntries(
        ['comms_lost', 'time_drift'].map((t) => [
          t,
          input.storage.alarms.filter((a) => a.type === t && a.message.startsWith(`${t} at controller`))
            .length,
        ]),
      ),
      tamper,
    },
  };
}
