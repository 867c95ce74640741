// The data lifecycle of the management server (issue 15 §2, R-SEC-7, R-SEC-8), put together in the
// composition root: retention settings and the audited purge, a person's own data export, and the
// erasure of a person with its signed certificate.
//
// Erasing a person:
//  1. one service-layer write deletes the person, their credentials, memberships, presence,
//     directory record and data key (their sealed directory attributes are crypto-shredded), and
//     publishes person.deleted: every controller holding them gets a signed revoke-person at once,
//     and the audit subscriber records the deletion;
//  2. one transaction pseudonymises every reference left in access events, the audit trail (the
//     record of step 1 included) and alarms, sealing the chained records (redaction.ts), so the
//     chains still verify and name no one;
//  3. on SQLite, deleted rows are overwritten (secure_delete) and the write-ahead log is truncated;
//  4. a signed certificate (certificate.ts) says what was erased, how, when and by whom; it is kept,
//     and the erasure is on the audit trail under the pseudonym.

import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit } from '../audit/store.ts';
import type { DomainEvent } from '../domain/events.ts';
import { personWrites } from '../services/people.ts';
import { type Actor, publish, type ServiceDeps } from '../services/write.ts';
import { type ChainKeys, chainKeys } from '../storage/chain.ts';
import { inTransaction } from '../storage/db.ts';
import { repositories } from '../storage/index.ts';
import { type ErasedItem, type ErasureCertificate, signCertificate } from './certificate.ts';
import { collectPersonData } from './person-data.ts';
import { redactReferences } from './redaction.ts';
import {
  type PurgeOutcome,
  purgeExpired,
  RETENTION_CLASSES,
  type RetentionClass,
  type RetentionSettings,
  readRetention,
  writeRetention,
} from './retention.ts';
import { lifecycleDb } from './tables.ts';
import { PersonVault } from './vault.ts';

export class LifecycleError extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Lifecycle {
  readonly vault: PersonVault;
  readonly keys: ChainKeys;
  readonly classes: RetentionClass[];

  constructor(
    private readonly deps: ServiceDeps,
    classes: readonly RetentionClass[] = RETENTION_CLASSES,
  ) {
    this.vault = new PersonVault(deps.installationKey);
    this.keys = chainKeys(deps.installationKey);
    this.classes = [...classes];
  }

  private audit(actor: Actor, action: string, target: string, detail: Record<string, unknown>) {
    return recordAudit(this.deps.store.db, this.keys.audit, {
      at: this.deps.clock.now(),
      actor: actor.origin.actor,
      source: actor.origin.source,
      action,
      target,
      detail,
    });
  }

  // ---------------------------------------------------------------- retention

  retention(): Promise<RetentionSettings> {
    return readRetention(this.deps.store.db, this.classes);
  }

  async setRetention(settings: RetentionSettings, actor: Actor): Promise<RetentionSettings> {
    for (const [name, days] of Object.entries(settings)) {
      const c = this.classes.find((x) => x.name === name);
      if (!c)
        throw new LifecycleError(
          'invalid',
          `${name}: not a data class (${this.classes.map((x) => x.name).join(', ')})`,
        );
      if (days !== null && (!Number.isInteger(days) || days < c.minimumDays || days > 36_500))
        throw new LifecycleError(
          'invalid',
          `${name}: days must be a whole number from ${c.minimumDays} to 36500, or null`,
        );
    }
    await writeRetention(this.deps.store.db, settings, actor.origin.actor, this.deps.clock.now());
    await this.audit(actor, 'retention.set', 'retention', { settings });
    return this.retention();
  }

  /** Purges what is past its retention; the run is on the audit trail, with what it removed. */
  async purge(actor: Actor): Promise<PurgeOutcome[]> {
    const now = this.deps.clock.now();
    const outcomes = await purgeExpired(this.deps.store.db, this.keys, now, this.classes);
    await this.audit(actor, 'retention.purge', 'retention', {
      classes: outcomes.map((o) => ({
        dataClass: o.dataClass,
        cutoff: iso(o.cutoff),
        removed: o.removed,
        floors: o.floors,
      })),
    });
    return outcomes;
  }

  /** Purges now and then every `intervalMs` (unref'd); errors go to the log. */
  schedule(
    intervalMs: number,
    logger: { error(o: object, m: string): void; info(o: object, m: string): void },
  ) {
    const actor: Actor = { origin: { actor: 'system', source: 'retention', via: 'system' }, scope: 'all' };
    let running: Promise<unknown> = Promise.resolve();
    const once = () => {
      running = running
        .then(() => this.purge(actor))
        .then((outcomes) => {
          const removed = outcomes.reduce((n, o) => n + o.removed, 0);
          if (removed > 0) logger.info({ removed }, 'retention purge');
        })
        .catch((error: unknown) =>
          logger.error({ err: { message: (error as Error).message } }, 'retention purge failed'),
        );
      return running;
    };
    const timer = setInterval(() => void once(), intervalMs);
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  }

  // ---------------------------------------------------------------- a person's own data

  exportPerson(personId: string, actor: Actor) {
    const { store, installationKey, clock } = this.deps;
    return collectPersonData(
      store.db,
      repositories(store.db, installationKey),
      this.vault,
      personId,
      actor.scope,
      clock.now(),
    );
  }

  /** The export is on the audit trail (who read everything about whom). */
  async auditExport(personId: string, format: string, actor: Actor): Promise<void> {
    await this.audit(actor, 'person.export', `person:${personId}`, { format });
  }

  // ---------------------------------------------------------------- erasure

  async erasePerson(personId: string, actor: Actor, reason?: string): Promise<ErasureCertificate> {
    const { store, installationKey, clock } = this.deps;
    const repos = repositories(store.db, installationKey);
    const person = await repos.people.get(personId, actor.scope);
    if (!person) throw new LifecycleError('not_found', `no person '${personId}'`);
    const credentialIds: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await repos.credentials.list({ personId, limit: 500, ...(cursor && { cursor }) });
      credentialIds.push(...page.items.map((c) => c.id));
      cursor = page.next;
    } while (cursor);
    const pseudonym = `erased-${randomBytes(8).toString('hex')}`;
    const map = new Map<string, string>([[personId, pseudonym]]);
    credentialIds.forEach((id, i) => map.set(id, `${pseudonym}-c${i + 1}`));

    // 1. Delete, shred the data key, revoke everywhere (published once committed).
    const events: DomainEvent[] = [];
    let directory = false;
    let dataKey = false;
    await inTransaction(store.db, async (tx) => {
      directory =
        (await lifecycleDb(tx)
          .selectFrom('scim_users')
          .select('person_id')
          .where('person_id', '=', personId)
          .executeTakeFirst()) !== undefined;
      dataKey = await this.vault.shred(tx, personId);
      if (
        !(await personWrites.remove(repositories(tx, installationKey), personId, actor.scope, (e) =>
          events.push(e),
        ))
      )
        throw new LifecycleError('not_found', `no person '${personId}'`);
    });
    await publish(this.deps, actor, events);

    // 2. Pseudonymise what stays.
    const now = clock.now();
    const counts = await inTransaction(store.db, (tx) =>
      redactReferences(tx, store.dialect, this.keys, personId, map, now),
    );

    // 3. No old copies in the write-ahead log (deleted rows are overwritten: storage/db.ts).
    if (store.dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);

    // 4. The certificate.
    const erased: ErasedItem[] = [
      { what: 'person record (name, department, site, memberships, presence)', how: 'deleted', count: 1 },
      {
        what: 'credentials (card numbers, PIN hashes, keys)',
        how: 'deleted; revoked at every controller by a signed command',
        count: credentialIds.length,
      },
      ...(directory || dataKey
        ? [
            {
              what: 'directory attributes (userName, e-mail, names, external id)',
              how: 'crypto-shredded: the person’s data key was destroyed',
              count: dataKey ? 1 : 0,
            },
          ]
        : []),
      {
        what: 'access events naming the person',
        how: 'pseudonymised; chained records sealed',
        count: counts.events,
      },
      {
        what: 'audit records naming the person or their credentials',
        how: 'pseudonymised; chained records sealed',
        count: counts.audit,
      },
      { what: 'alarms naming the person', how: 'pseudonymised', count: counts.alarms },
    ];
    const certificate = signCertificate(
      {
        id: randomBytes(12).toString('hex'),
        kind: 'person',
        subject: pseudonym,
        at: iso(now),
        by: { actor: actor.origin.actor, source: actor.origin.source },
        ...(reason && { reason }),
        erased,
        evidence: { storage: store.dialect, secureDelete: store.dialect === 'sqlite' },
      },
      installationKey,
    );
    await this.keep(certificate, now);
    await this.audit(actor, 'person.erase', `person:${pseudonym}`, {
      certificate: certificate.id,
      erased: erased.map((e) => ({ what: e.what, count: e.count })),
    });
    return certificate;
  }

  async keep(certificate: ErasureCertificate, now: number): Promise<void> {
    await lifecycleDb(this.deps.store.db)
      .insertInto('erasure_certificates')
      .values({
        id: certificate.id,
        kind: certificate.kind,
        subject: certificate.subject,
        at: now,
        certificate: JSON.stringify(certificate),
      })
      .execute();
  }

  async certificates(): Promise<ErasureCertificate[]> {
    const rows = await lifecycleDb(this.deps.store.db)
      .selectFrom('erasure_certificates')
      .select('certificate')
      .orderBy('at')
      .execute();
    return rows.map((r) => JSON.parse(r.certificate) as ErasureCertificate);
  }
}
