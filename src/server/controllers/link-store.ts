// Storage of the controller link (table controller_links): enrollment with a one-time token, the
// enrolled public key, what heartbeats report, and the last accepted message sequence. Enrollment is
// one conditional update, so a token works once even when two requests race.

import { sql } from 'kysely';
import { type Executor, inTransaction } from '../storage/db.ts';

export interface ControllerLinkStatus {
  controllerId: string;
  enrolled: boolean;
  enrolledAt: number | null;
  /**
   * `up` only while the controller is enrolled and was heard within the link timeout; a controller
   * that never connected, or fell silent, is `down` (whatever the last recorded transition said).
   */
  link: 'up' | 'down';
  lastSeenAt: number | null;
  softwareVersion: string | null;
  configHash: string | null;
  configBaseline: string | null;
  /** whether the configuration hash still matches the recorded baseline (null: no baseline yet) */
  configMatchesBaseline: boolean | null;
  clockOffsetMs: number | null;
  journalPending: number | null;
  snapshotVersion: number | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export async function setEnrollmentToken(
  db: Executor,
  controllerId: string,
  tokenHash: string,
  expiresAt: number,
  now: number,
): Promise<void> {
  const existing = await db
    .selectFrom('controller_links')
    .select('controller_id')
    .where('controller_id', '=', controllerId)
    .executeTakeFirst();
  if (existing) {
    // A new token replaces the old one and the old key: the controller must enroll again.
    await db
      .updateTable('controller_links')
      .set({
        enrollment_token_hash: tokenHash,
        enrollment_expires_at: expiresAt,
        public_key: null,
        enrolled_at: null,
        last_seen_at: null,
        updated_at: now,
      })
      .where('controller_id', '=', controllerId)
      .execute();
  } else {
    await db
      .insertInto('controller_links')
      .values({
        controller_id: controllerId,
        enrollment_token_hash: tokenHash,
        enrollment_expires_at: expiresAt,
        updated_at: now,
        link_state: 'unknown',
        last_seq: 0,
      })
      .execute();
  }
}

/** Uses a token once: true when it matched, had not expired, and now stands for this public key. */
export async function enrollWithToken(
  db: Executor,
  controllerId: string,
  tokenHash: string,
  publicKeyPem: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('controller_links')
    .set({
      public_key: publicKeyPem,
      enrolled_at: now,
      enrollment_token_hash: null,
      enrollment_expires_at: null,
      last_seq: 0,
      // What was heard belonged to the old key: nothing is heard from this one yet.
      last_seen_at: null,
      updated_at: now,
    })
    .where('controller_id', '=', controllerId)
    .where('enrollment_token_hash', '=', tokenHash)
    .where('enrollment_expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function enrolledControllers(
  db: Executor,
): Promise<{ controllerId: string; publicKeyPem: string; lastSeq: number }[]> {
  const rows = await db
    .selectFrom('controller_links')
    .select(['controller_id', 'public_key', 'last_seq'])
    .where('public_key', 'is not', null)
    .execute();
  return rows.map((r) => ({
    controllerId: r.controller_id,
    publicKeyPem: r.public_key!,
    lastSeq: Number(r.last_seq),
  }));
}

export interface LinkReport {
  lastSeq: number;
  lastSeenAt: number;
  softwareVersion?: string;
  configHash?: string;
  clockOffsetMs?: number;
  journalPending?: number;
  snapshotVersion?: number;
}

export async function recordLinkReport(
  db: Executor,
  controllerId: string,
  report: LinkReport,
): Promise<void> {
  await db
    .updateTable('controller_links')
    .set({
      last_seq: report.lastSeq,
      last_seen_at: report.lastSeenAt,
      updated_at: report.lastSeenAt,
      ...(report.softwareVersion !== undefined && { software_version: report.softwareVersion }),
      ...(report.configHash !== undefined && { config_hash: report.configHash }),
      ...(report.clockOffsetMs !== undefined && { clock_offset_ms: report.clockOffsetMs }),
      ...(report.journalPending !== undefined && { journal_pending: report.journalPending }),
      ...(report.snapshotVersion !== undefined && { snapshot_version: report.snapshotVersion }),
    })
    .where('controller_id', '=', controllerId)
    .where('last_seq', '<', report.lastSeq)
    .execute();
}

/**
 * Heartbeats and hellos of a whole fleet written together: the last report of each controller since
 * the previous write, all in one transaction, at most every `delayMs` — one commit (one fsync on
 * SQLite) for a hundred controllers' heartbeats instead of one each, off the path of event ingest.
 * A report is kept only when it is newer than what is waiting (by envelope sequence), as the
 * statement itself keeps only a newer one than what is stored.
 */
export class LinkReportWriter {
  private readonly waiting = new Map<string, LinkReport>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Executor,
    private readonly onError: (error: unknown) => void,
    private readonly delayMs = 100,
  ) {}

  record(controllerId: string, report: LinkReport): void {
    const held = this.waiting.get(controllerId);
    if (held && held.lastSeq >= report.lastSeq) return;
    this.waiting.set(controllerId, held ? { ...held, ...report } : report);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Writes what waits now; resolves when it (and any write before it) is stored or has failed. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size === 0) return this.writing;
    const reports = [...this.waiting];
    this.waiting.clear();
    this.writing = this.writing
      .then(() =>
        inTransaction(this.db, async (tx) => {
          for (const [controllerId, report] of reports) await recordLinkReport(tx, controllerId, report);
        }),
      )
      .catch(this.onError);
    return this.writing;
  }
}

export async function setLinkState(
  db: Executor,
  controllerId: string,
  state: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('controller_links')
    .set({ link_state: state, updated_at: now })
    .where('controller_id', '=', controllerId)
    .execute();
}

/** Records the current configuration hash as the baseline to compare with after maintenance. */
export async function recordBaseline(
  db: Executor,
  controllerId: string,
  now: number,
): Promise<string | null> {
  const row = await db
    .selectFrom('controller_links')
    .select('config_hash')
    .where('controller_id', '=', controllerId)
    .executeTakeFirst();
  if (!row) return null;
  await db
    .updateTable('controller_links')
    .set({ config_baseline: row.config_hash, updated_at: now })
    .where('controller_id', '=', controllerId)
    .execute();
  return row.config_hash;
}

export async function linkStatus(
  db: Executor,
  controllerId: string,
  now: number,
  linkTimeoutMs: number,
): Promise<ControllerLinkStatus | undefined> {
  const r = await db
    .selectFrom('controller_links')
    .selectAll()
    .where('controller_id', '=', controllerId)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    controllerId,
    enrolled: r.public_key !== null,
    enrolledAt: num(r.enrolled_at),
    link:
      r.public_key !== null && r.last_seen_at !== null && now - Number(r.last_seen_at) <= linkTimeoutMs
        ? 'up'
        : 'down',
    lastSeenAt: num(r.last_seen_at),
    softwareVersion: r.software_version,
    configHash: r.config_hash,
    configBaseline: r.config_baseline,
    configMatchesBaseline: r.config_baseline === null ? null : r.config_baseline === r.config_hash,
    clockOffsetMs: num(r.clock_offset_ms),
    journalPending: num(r.journal_pending),
    snapshotVersion: num(r.snapshot_version),
  };
}

/** A named value kept across restarts (table server_state); 0 when never set. */
export async function readServerState(db: Executor, key: string): Promise<number> {
  const row = await db.selectFrom('server_state').select('value').where('key', '=', key).executeTakeFirst();
  return row ? Number(row.value) : 0;
}

/** Raises a stored value to `value` if it is lower (several server instances reserve sequences). */
export async function raiseServerState(db: Executor, key: string, value: number): Promise<void> {
  await db
    .insertInto('server_state')
    .values({ key, value })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        value: sql<number>`CASE WHEN server_state.value > excluded.value THEN server_state.value ELSE excluded.value END`,
      }),
    )
    .execute();
}

export async function writeServerState(db: Executor, key: string, value: number): Promise<void> {
  await db
    .insertInto('server_state')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
