// The bodies of controller ↔ server messages (inside signed envelopes, see envelope.ts), typed once
// and validated at the boundary on both sides. Topics: controllers publish under
// monban/<site>/controllers/<id>/<kind>; the server under monban/<site>/server/<kind>/<controller>.

import { z } from 'zod';
import type { OperatorAction } from '../core/operator.ts';
import type { Json } from './canonical.ts';

const id = z.string().min(1).max(64);
const instant = z.number().int().nonnegative();

/** A journaled controller event; `seq` is the journal sequence (exactly-once ingest key). */
export const controllerEventSchema = z.strictObject({
  seq: z.number().int().positive(),
  at: instant,
  /** `reader`: a reader's link or tamper state; `device`: an I/O module's link or a supervised input's wiring */
  type: z.enum(['access', 'alarm', 'door', 'operator', 'reader', 'device', 'insecure_credential']),
  door: id.optional(),
  area: id.optional(),
  person: id.optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});

export const eventBatchSchema = z.strictObject({
  kind: z.literal('events'),
  events: z.array(controllerEventSchema).min(1).max(1000),
});

export const eventAckSchema = z.strictObject({
  kind: z.literal('events-ack'),
  /** every event up to and including this sequence is stored */
  upTo: z.number().int().nonnegative(),
});

export const heartbeatSchema = z.strictObject({
  kind: z.literal('heartbeat'),
  /** the controller's wall clock, for time-drift alarms */
  clock: instant,
  softwareVersion: z.string().min(1).max(64),
  /** hash of the configuration baseline, compared before and after maintenance */
  configHash: z.string().regex(/^[0-9a-f]{64}$/),
  snapshotVersion: z.number().int().nonnegative(),
  journalPending: z.number().int().nonnegative(),
});

/**
 * The operator actions a server may send (the core's own vocabulary, core/operator.ts, checked
 * against its type below); revocations have commands of their own.
 */
export const OPERATOR_ACTION_SCHEMAS = {
  unlockDoor: z.strictObject({ action: z.literal('unlock-door'), door: id }),
  overrideDoor: z.strictObject({
    action: z.literal('override-door'),
    door: id,
    mode: z.enum(['unlocked', 'locked']),
    minutes: z
      .number()
      .positive()
      .max(7 * 24 * 60),
  }),
  endOverride: z.strictObject({ action: z.literal('end-override'), door: id }),
  setLockdown: z.strictObject({
    action: z.literal('set-lockdown'),
    active: z.boolean(),
    exempt: z.array(id).max(1000).optional(),
  }),
  setThreatLevel: z.strictObject({
    action: z.literal('set-threat-level'),
    level: z.number().int().min(0).max(100),
  }),
  forgiveAntipassback: z.strictObject({ action: z.literal('forgive-antipassback'), person: id }),
  resetArea: z.strictObject({ action: z.literal('reset-area'), area: id }),
  clearFire: z.strictObject({ action: z.literal('clear-fire'), zone: id }),
};
const A = OPERATOR_ACTION_SCHEMAS;
export const operatorActionSchema = z.discriminatedUnion('action', [
  A.unlockDoor,
  A.overrideDoor,
  A.endOverride,
  A.setLockdown,
  A.setThreatLevel,
  A.forgiveAntipassback,
  A.resetArea,
  A.clearFire,
]);
export type SentOperatorAction = z.infer<typeof operatorActionSchema>;
// The schema and the core's type cannot drift apart: every action sent is one the core knows, and
// every core action but the revocation is one the schema has.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const knownToCore: Same<SentOperatorAction extends OperatorAction ? true : false, true> = true;
const everyAction: Same<
  SentOperatorAction['action'],
  Exclude<OperatorAction['action'], 'revoke-credential'>
> = true;
void knownToCore;
void everyAction;

export const commandSchema = z.discriminatedUnion('command', [
  z.strictObject({ kind: z.literal('command'), command: z.literal('restart'), reason: z.string().max(200) }),
  z.strictObject({
    kind: z.literal('command'),
    command: z.literal('revoke'),
    credential: z.string().regex(/^[0-9a-f]{64}$/, 'a keyed hash'),
  }),
  /** every credential of this person, until a snapshot issued after this command says otherwise */
  z.strictObject({ kind: z.literal('command'), command: z.literal('revoke-person'), person: id }),
  z.strictObject({ kind: z.literal('command'), command: z.literal('unlock-door'), door: id }),
  z.strictObject({
    kind: z.literal('command'),
    command: z.literal('override-door'),
    door: id,
    mode: z.enum(['unlocked', 'locked']),
    minutes: z
      .number()
      .positive()
      .max(24 * 60),
  }),
  /**
   * An operator action (issue 9): applied at once and answered with a `command-result` naming `id`;
   * refused unapplied once the controller's clock is past `notAfter` (a command stuck on the way
   * must not unlock a door an hour late).
   */
  z.strictObject({
    kind: z.literal('command'),
    command: z.literal('operator'),
    id,
    notAfter: instant,
    action: operatorActionSchema,
  }),
]);

/**
 * Before granting a credential with a use limit, an online controller claims one use at the server
 * (issue 9 §3): use counts are counted there and shared, so a one-use key opens one door once across
 * the site. `credential` is the policy key (`key:<keyed hash>`).
 */
export const useClaimSchema = z.strictObject({
  kind: z.literal('use-claim'),
  id,
  credential: z.string().regex(/^(card|mobile|key|biometric|pin):[0-9a-f]{64}$/),
  door: id,
});

/** The server's answer: the use is the controller's (granted), or none is left. */
export const useAnswerSchema = z.strictObject({
  kind: z.literal('use-answer'),
  id,
  granted: z.boolean(),
  /** uses left after this one, as counted at the server; null: the server sets no limit */
  remaining: z.number().int().nonnegative().nullable(),
});

/**
 * The live state of a controller's doors and site modes (issue 9 §2), sent with every heartbeat and
 * at once after an operator command: the core's own phases, modes and mode sources.
 */
export const doorStateSchema = z.strictObject({
  kind: z.literal('door-state'),
  doors: z
    .array(
      z.strictObject({
        door: id,
        phase: z.enum(['secured', 'released', 'open', 'forced_open']),
        /** open longer than the door allows (the held-open alarm was raised) */
        heldOpen: z.boolean(),
        mode: z.string().min(1).max(32),
        source: z.enum(['fire', 'lockdown', 'override', 'schedule', 'base']),
        overrideUntil: instant.nullable(),
      }),
    )
    .max(1000),
  lockdown: z.array(id).max(1000).nullable(),
  threatLevel: z.number().int().nonnegative(),
  fireZones: z.array(id).max(1000),
});

/** What became of an operator command at the controller. */
export const commandResultSchema = z.strictObject({
  kind: z.literal('command-result'),
  id,
  outcome: z.enum(['applied', 'refused']),
  /** why it was refused, or what applying it did (never a secret) */
  detail: z.string().max(300).optional(),
});

/** The most chunks one transfer may have (at 256 KiB a chunk: 16 GiB compressed). */
export const MAX_TRANSFER_CHUNKS = 65_536;
const transferId = z.string().regex(/^[0-9a-z-]{1,64}$/);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const chunkIndex = z
  .number()
  .int()
  .nonnegative()
  .max(MAX_TRANSFER_CHUNKS - 1);

/**
 * What a controller still lacks of a chunked transfer (contracts/transfer.ts): sent in its hello
 * after a reconnect or restart, and on its own when chunks failed their hash or did not come.
 */
const transferProgress = z.strictObject({
  transfer: transferId,
  missing: z.array(chunkIndex).max(MAX_TRANSFER_CHUNKS),
});

/** A controller says who it is and which snapshot it holds, at every (re)connect. */
export const helloSchema = z.strictObject({
  kind: z.literal('hello'),
  clock: instant,
  softwareVersion: z.string().min(1).max(64),
  configHash: z.string().regex(/^[0-9a-f]{64}$/),
  snapshotVersion: z.number().int().nonnegative(),
  journalPending: z.number().int().nonnegative(),
  /** a transfer it has staged in part: the server sends only the chunks named */
  transfer: transferProgress.optional(),
});

/** The chunks of a transfer a controller asks for again (failed their hash, or never came). */
export const snapshotRequestSchema = transferProgress.extend({ kind: z.literal('snapshot-request') });

/**
 * A large snapshot or delta goes as a signed manifest and then chunks (contracts/transfer.ts): the
 * message body (`payload` names its kind) as canonical JSON, gzip-compressed, cut into chunks of
 * `chunkSize` bytes. The hashes bind every chunk and the whole to this signed manifest, so the
 * controller installs the body only when all of it is exactly what the server signed.
 */
export const snapshotManifestSchema = z
  .strictObject({
    kind: z.literal('snapshot-manifest'),
    transfer: transferId,
    payload: z.enum(['snapshot', 'snapshot-delta']),
    /** the snapshot version the body brings; for a delta, the version it applies to */
    version: z.number().int().positive(),
    base: z.number().int().positive().optional(),
    encoding: z.literal('gzip'),
    /**
     * `lines`: a snapshot as its header and then one line per person (contracts/transfer.ts), parsed
     * line by line; absent: the body's canonical JSON, parsed as one string
     */
    format: z.literal('lines').optional(),
    /** bytes of the compressed body, and of its text before compression */
    size: z.number().int().positive(),
    /** at most 4 GiB; as one JSON string, at most the longest string Node holds (~512 MiB) */
    rawSize: z.number().int().positive().max(0xffff_ffff),
    chunkSize: z
      .number()
      .int()
      .min(1_024)
      .max(4 * 1_048_576),
    sha256,
    chunks: z.array(sha256).min(1).max(MAX_TRANSFER_CHUNKS),
  })
  .refine((m) => m.chunks.length === Math.ceil(m.size / m.chunkSize), {
    path: ['chunks'],
    message: 'one hash per chunk of the size',
  })
  .refine((m) => (m.payload === 'snapshot-delta') === (m.base !== undefined), {
    path: ['base'],
    message: 'a delta names its base, a snapshot none',
  })
  .refine((m) => m.format === 'lines' || m.rawSize <= 0x1fff_ffe8, {
    path: ['rawSize'],
    message: 'a body parsed as one string cannot be larger than a string',
  })
  .refine((m) => m.format === undefined || m.payload === 'snapshot', {
    path: ['format'],
    message: 'only a snapshot goes as lines',
  });

/** One chunk of a transfer: bytes `index × chunkSize` onwards of the compressed body, in base64. */
export const snapshotChunkSchema = z.strictObject({
  kind: z.literal('snapshot-chunk'),
  transfer: transferId,
  index: chunkIndex,
  data: z.base64().max(6 * 1_048_576),
});

/** The server's heartbeat to a controller: the controller supervises its link and the server clock. */
export const serverHeartbeatSchema = z.strictObject({
  kind: z.literal('server-heartbeat'),
  clock: instant,
  /** the snapshot this controller should hold: while it does, the heartbeat renews the snapshot's age */
  snapshotVersion: z.number().int().nonnegative(),
});

/** What a controller does when its snapshot is older than the site allows (R-CTL-1, fail closed). */
export const OFFLINE_FALLBACKS = ['emergency_only', 'deny_all', 'keep_deciding'] as const;
export type OfflineFallback = (typeof OFFLINE_FALLBACKS)[number];

const jsonValue = z.json();
const isEntry = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { id?: unknown }).id === 'string';

/**
 * A snapshot's site: JSON, whose `people` are objects with ids. The people are not checked as JSON
 * value by value: they come out of JSON.parse (a signed message or a verified transfer), the core's
 * compiler checks every field of theirs it reads, and checking 2,000,000 of them again here would
 * take many seconds and copy them all. The site passes through as it is (no copy).
 */
const siteSchema = z.custom<Record<string, Json>>((value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'people' ? !(Array.isArray(v) && v.every(isEntry)) : !jsonValue.safeParse(v).success)
      return false;
  }
  return true;
}, 'a site is a JSON object whose people are objects with ids');

/**
 * The policy for one controller: only its doors and the people who may use them, credentials as
 * keyed hashes (contracts/credential-key.ts). `site` has the shape of the core's SiteDef and is
 * checked by compiling it; `emergency` lists the people still let in under `emergency_only`.
 */
export const snapshotSchema = z.strictObject({
  kind: z.literal('snapshot'),
  version: z.number().int().positive(),
  issuedAt: instant,
  maxAgeMinutes: z.number().int().positive(),
  fallback: z.enum(OFFLINE_FALLBACKS),
  emergency: z.array(id).max(100_000),
  /** areas whose doors lock while this controller has lost the server (the area's offline mode) */
  offlineDeny: z.array(id).max(100_000).default([]),
  site: siteSchema,
});

/** The lists of a snapshot's site whose entries have ids, besides `people`: a delta changes them by id. */
export const SITE_COLLECTIONS = [
  'areas',
  'doors',
  'schedules',
  'holidayCalendars',
  'levels',
  'groups',
] as const;
export type SiteCollection = (typeof SITE_COLLECTIONS)[number];

const entries = z.array(z.record(z.string(), z.json())).max(100_000);

/**
 * What changed in a snapshot since version `base` (everything else is as in `base`), sent instead
 * of the whole snapshot: `upsert`/`remove` the people added or replaced (by id) and removed;
 * `changes` the same for the site's other lists (doors, schedules, levels, …); `set` the site's
 * other fields (the time zone). A controller that does not hold `base` ignores it and asks for the
 * whole snapshot (its next hello).
 */
export const snapshotDeltaSchema = z.strictObject({
  kind: z.literal('snapshot-delta'),
  base: z.number().int().positive(),
  version: z.number().int().positive(),
  issuedAt: instant,
  emergency: z.array(id).max(100_000),
  upsert: entries,
  remove: z.array(id).max(100_000),
  changes: z
    .partialRecord(
      z.enum(SITE_COLLECTIONS),
      z.strictObject({ upsert: entries, remove: z.array(id).max(100_000) }),
    )
    .optional(),
  set: z.record(z.string(), z.json()).optional(),
  /** the areas locked while the server is lost, when they changed */
  offlineDeny: z.array(id).max(100_000).optional(),
});

/**
 * Where someone is, as the server learnt it from another controller's grant: rules that span
 * controllers (anti-passback, occupancy) see passages made at other controllers' doors.
 */
export const presenceSchema = z.strictObject({
  kind: z.literal('presence'),
  /** in the order they happened; one message per event batch the server took in */
  moves: z
    .array(
      z.strictObject({
        person: id,
        /** the area the person is now in; null: unknown */
        area: id.nullable(),
        at: instant,
      }),
    )
    .min(1)
    .max(1000),
});

export const messageSchema = z.union([
  eventBatchSchema,
  eventAckSchema,
  heartbeatSchema,
  helloSchema,
  serverHeartbeatSchema,
  snapshotSchema,
  snapshotDeltaSchema,
  snapshotManifestSchema,
  snapshotChunkSchema,
  snapshotRequestSchema,
  presenceSchema,
  commandSchema,
  commandResultSchema,
  useClaimSchema,
  useAnswerSchema,
  doorStateSchema,
]);

export type Snapshot = z.infer<typeof snapshotSchema>;
export type SnapshotDelta = z.infer<typeof snapshotDeltaSchema>;
export type SnapshotManifest = z.infer<typeof snapshotManifestSchema>;
export type SnapshotChunk = z.infer<typeof snapshotChunkSchema>;
export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type Hello = z.infer<typeof helloSchema>;

export type ControllerEvent = z.infer<typeof controllerEventSchema>;
export type Message = z.infer<typeof messageSchema>;

/** Validates a message body; the error names the field, never echoes values. */
export function parseMessage(body: unknown): { ok: true; message: Message } | { ok: false; error: string } {
  const parsed = messageSchema.safeParse(body);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, error: `${issue.path.join('.') || 'message'}: ${issue.message}` };
}
