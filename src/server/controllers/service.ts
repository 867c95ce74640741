// The server's side of the controller fleet (issue 4): the broker (embedded over TLS with per-controller
// logins, or an external one), the signed link to every enrolled controller with one coordinator each,
// enrollment with one-time tokens, policy snapshots per controller with revocations sent at once,
// exactly-once event ingest, and supervision (heartbeats, comms_lost, time_drift, tamper, versions,
// configuration hashes, remote restart).

import { createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { IClientOptions } from 'mqtt';
import { controllerTopics, LoginProofChecker } from '../../contracts/broker-login.ts';
import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import { credentialIdHash, siteCredentialKey } from '../../contracts/credential-key.ts';
import { SEQUENCE_BLOCK, startSequence } from '../../contracts/envelope.ts';
import type { LinkEvent } from '../../contracts/link-supervision.ts';
import { type ControllerEvent, type OfflineFallback, parseMessage } from '../../contracts/messages.ts';
import { compilePolicy } from '../../core/policy.ts';
import { ALARM_TYPES as CORE_ALARM_TYPES } from '../../core/reasons.ts';
import type { AlarmService } from '../alarms/service.ts';
import type { AlarmType } from '../alarms/types.ts';
import { constantTimeEqual, newSecretToken, sha256Hex } from '../auth/secrets.ts';
import { ControllerHub } from '../mqtt/controller-hub.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { chainKeys } from '../storage/chain.ts';
import type { Store } from '../storage/db.ts';
import { EventStore } from '../storage/events.ts';
import { ControllerCoordinator } from './coordinator.ts';
import {
  type ControllerLinkStatus,
  enrolledControllers,
  enrollWithToken,
  linkStatus,
  readServerState,
  recordBaseline,
  recordLinkReport,
  setEnrollmentToken,
  setLinkState,
  writeServerState,
} from './link-store.ts';
import { serverSigningKey } from './server-key.ts';
import { buildSnapshot, siteAsJson } from './snapshot.ts';
import { peopleDelta } from './snapshot-delta.ts';

export const ENROLLMENT_TOKEN_PREFIX = 'mbe_';

export interface ControllerSettings {
  /** the site name in topics */
  site: string;
  /** an external broker (MONBAN_MQTT_URL); default: the embedded one */
  mqttUrl?: string | undefined;
  /** trust for an external mqtts:// broker (PEM) */
  mqttCa?: string | undefined;
  /** embedded broker port (default 18830; 0 picks one) */
  mqttPort?: number;
  mqttHost?: string;
  heartbeatMs: number;
  /** silence after which a controller counts as lost */
  linkTimeoutMs: number;
  snapshotMaxAgeMinutes: number;
  fallback: OfflineFallback;
  emergencyGroup?: string | undefined;
  enrollmentTtlMs: number;
}

export const DEFAULT_CONTROLLER_SETTINGS: ControllerSettings = {
  site: 'main',
  heartbeatMs: 5_000,
  linkTimeoutMs: 15_000,
  snapshotMaxAgeMinutes: 24 * 60,
  fallback: 'emergency_only',
  enrollmentTtlMs: 24 * 3_600_000,
};

export interface ControllerServiceDeps {
  store: Store;
  installationKey: Uint8Array;
  logger: FastifyBaseLogger;
  alarms: AlarmService;
  /** the management server's certificate: the embedded broker serves TLS with it */
  tls?: { cert: string; key: string } | undefined;
  settings?: Partial<ControllerSettings>;
  now?: () => number;
}

export interface EnrollmentResult {
  site: string;
  mqttUrl: string;
  /** MQTT protocol version to use: 4 (3.1.1) for the embedded broker, 5 for an external one */
  mqttProtocol: 4 | 5;
  serverPublicKey: string;
  /** base64 of the site credential key (contracts/credential-key.ts) */
  credentialKey: string;
  /** the broker's certificate to trust, when the server runs it */
  brokerCa?: string;
}

interface HeldSnapshot {
  version: number;
  hash: string;
  body: Record<string, Json>;
  /** the people in it: presence updates go only where the person is known */
  people: ReadonlySet<string>;
  /** deltas sent since the last whole snapshot (the controller keeps them all until the next one) */
  deltas: number;
}

/** After this many deltas the whole snapshot goes again, so what a controller stores stays small. */
const MAX_DELTAS = 50;
/** server_state key of the server's reserved signing sequence */
const SEQ_STATE = 'controller-link-seq';

export class ControllerService {
  readonly settings: ControllerSettings;
  private readonly now: () => number;
  private readonly signing;
  private readonly credentialKey: Uint8Array;
  private readonly keys = new Map<string, KeyObject>();
  /** broker login proofs, each accepted once */
  private readonly proofs = new LoginProofChecker();
  private readonly coordinators = new Map<string, ControllerCoordinator>();
  private readonly snapshots = new Map<string, HeldSnapshot>();
  /** where each person is, as the last reported passage at an area with cross-controller rules says */
  private readonly presence = new Map<
    string,
    { area: string; at: number; controllerId: string; door: string }
  >();
  private readonly events: EventStore;
  private broker: EmbeddedBroker | undefined;
  private hub: ControllerHub | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private mqttUrl = '';

  constructor(readonly deps: ControllerServiceDeps) {
    this.settings = { ...DEFAULT_CONTROLLER_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    this.signing = serverSigningKey(deps.installationKey);
    this.credentialKey = siteCredentialKey(deps.installationKey);
    this.events = new EventStore(deps.store.db, chainKeys(deps.installationKey).events);
  }

  /** what controllers should trust for the broker: our certificate, or the external broker's CA */
  private get brokerCa(): string | undefined {
    return this.broker ? this.deps.tls?.cert : this.settings.mqttCa;
  }

  get brokerUrl(): string {
    return this.mqttUrl;
  }

  async start(): Promise<void> {
    const { settings } = this;
    const enrolled = await enrolledControllers(this.deps.store.db);
    for (const c of enrolled) this.addController(c.controllerId, c.publicKeyPem);
    const mqtt: IClientOptions = {};
    if (settings.mqttUrl) {
      this.mqttUrl = settings.mqttUrl;
      mqtt.protocolVersion = 5;
      if (settings.mqttCa) mqtt.ca = settings.mqttCa;
    } else {
      // The server logs in to its own in-process broker with a secret that never leaves this process.
      const serverSecret = randomBytes(32).toString('base64url');
      this.broker = await startEmbeddedBroker({
        ...(settings.mqttHost !== undefined && { host: settings.mqttHost }),
        ...(settings.mqttPort !== undefined && { port: settings.mqttPort }),
        ...(this.deps.tls && { tls: this.deps.tls }),
        access: {
          login: (username, password) => {
            if (username === 'server') return constantTimeEqual(password, serverSecret);
            const key = this.keys.get(username);
            return key !== undefined && this.proofs.check(settings.site, username, password, key, this.now());
          },
          topics: (username) =>
            username === 'server' ? undefined : controllerTopics(settings.site, username),
        },
      });
      this.mqttUrl = this.broker.url;
      if (this.deps.tls) mqtt.ca = this.deps.tls.cert;
      mqtt.username = 'server';
      mqtt.password = serverSecret;
    }
    // Signing sequences: above the clock and above every block reserved before this start.
    const db = this.deps.store.db;
    const firstSeq = startSequence(this.now(), await readServerState(db, SEQ_STATE));
    await writeServerState(db, SEQ_STATE, firstSeq + SEQUENCE_BLOCK);
    this.hub = new ControllerHub({
      firstSeq,
      reserveSeq: (upTo) =>
        void writeServerState(db, SEQ_STATE, upTo).catch((error: unknown) =>
          this.deps.logger.error(
            { err: { message: (error as Error).message } },
            'sequence reservation not stored',
          ),
        ),
      url: this.mqttUrl,
      site: settings.site,
      serverKey: this.signing.privateKey,
      controllerKeys: (id) => this.keys.get(id),
      now: this.now,
      mqtt,
      lastSeqs: new Map(enrolled.map((c) => [c.controllerId, c.lastSeq])),
      onRejected: (reason, from, topic) => this.rejected(reason, from, topic),
      onMessage: (from, body, seq) => this.received(from, body, seq),
      ingest: (from, events) => this.ingest(from, events),
    });
    await this.hub.start();
    this.timer = setInterval(() => this.beat(), settings.heartbeatMs);
    this.timer.unref();
    // A snapshot counts as current only while the server keeps confirming it; build them now.
    this.snapshotsChanged(0);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.refresh);
    await this.refreshing;
    await Promise.all([...this.coordinators.values()].map((c) => c.idle()));
    await this.hub?.stop();
    await this.broker?.close();
  }

  // ------------------------------------------------------------------ enrollment

  /** A one-time token an installer gives the controller; a new one voids the old one and the old key. */
  async createEnrollment(controllerId: string): Promise<{ token: string; expiresAt: number }> {
    const token = newSecretToken(ENROLLMENT_TOKEN_PREFIX);
    const expiresAt = this.now() + this.settings.enrollmentTtlMs;
    await setEnrollmentToken(this.deps.store.db, controllerId, sha256Hex(token), expiresAt, this.now());
    this.keys.delete(controllerId);
    return { token, expiresAt };
  }

  /** Called by the controller over HTTPS with its token and its own new public key. */
  async enroll(
    controllerId: string,
    token: string,
    publicKeyPem: string,
  ): Promise<EnrollmentResult | undefined> {
    let key: KeyObject;
    try {
      key = createPublicKey(publicKeyPem);
    } catch {
      return undefined;
    }
    if (key.asymmetricKeyType !== 'ed25519') return undefined;
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    if (!(await enrollWithToken(this.deps.store.db, controllerId, sha256Hex(token), pem, this.now())))
      return undefined;
    this.addController(controllerId, pem);
    this.snapshotsChanged(0);
    return {
      site: this.settings.site,
      mqttUrl: this.mqttUrl,
      mqttProtocol: this.broker ? 4 : 5,
      serverPublicKey: this.signing.publicKeyPem,
      credentialKey: Buffer.from(this.credentialKey).toString('base64'),
      ...(this.brokerCa && { brokerCa: this.brokerCa }),
    };
  }

  private addController(controllerId: string, publicKeyPem: string): void {
    this.keys.set(controllerId, createPublicKey(publicKeyPem));
    if (this.coordinators.has(controllerId)) return;
    const coordinator = new ControllerCoordinator(controllerId, {
      send: async (body) => {
        if (!this.hub?.connected) throw new Error('broker not connected');
        await this.hub.command(controllerId, body);
      },
      now: this.now,
      onLinkEvents: (events) => void this.linkEvents(controllerId, events),
      onSendFailed: (error) =>
        this.deps.logger.warn(
          { controller: controllerId, err: { message: (error as Error).message } },
          'send to controller failed',
        ),
    });
    this.coordinators.set(controllerId, coordinator);
  }

  // ------------------------------------------------------------------ status and commands

  status(controllerId: string): Promise<ControllerLinkStatus | undefined> {
    return linkStatus(this.deps.store.db, controllerId);
  }

  recordBaseline(controllerId: string): Promise<string | null> {
    return recordBaseline(this.deps.store.db, controllerId, this.now());
  }

  /** Queues a signed restart command; false when the controller is not enrolled. */
  async restart(controllerId: string, reason: string): Promise<boolean> {
    const coordinator = this.coordinators.get(controllerId);
    if (!coordinator) return false;
    await coordinator.send({ kind: 'command', command: 'restart', reason });
    return true;
  }

  /**
   * Data behind the snapshots changed (the API's change hook). A credential that is no longer active
   * is revoked on every controller at once, by its keyed hash; then the snapshots are rebuilt.
   */
  async changed(resource: string, id: string): Promise<void> {
    if (resource === 'credential') {
      const row = await this.deps.store.db
        .selectFrom('credentials')
        .select(['type', 'identifier', 'state'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row && row.state !== 'active' && row.identifier !== null) {
        const hash =
          row.type === 'pin'
            ? row.identifier
            : credentialIdHash(this.credentialKey, row.type, row.identifier);
        const command = { kind: 'command', command: 'revoke', credential: hash } as const;
        await Promise.all([...this.coordinators.values()].map((c) => c.send(command)));
      }
    }
    this.snapshotsChanged(50);
  }

  /** Rebuilds snapshots after `delayMs`, coalescing bursts of changes (a CSV import) into one. */
  snapshotsChanged(delayMs: number): void {
    if (this.refresh) return;
    this.refresh = setTimeout(() => {
      this.refresh = undefined;
      this.refreshing = this.refreshing
        .then(() => this.rebuildSnapshots())
        .catch((error: unknown) =>
          this.deps.logger.error({ err: { message: (error as Error).message } }, 'snapshot rebuild failed'),
        );
    }, delayMs);
    this.refresh.unref();
  }

  /** Resolves when pending snapshot work is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.refresh) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.refreshing;
    await Promise.all([...this.coordinators.values()].map((c) => c.idle()));
  }

  private async rebuildSnapshots(): Promise<void> {
    for (const controllerId of this.coordinators.keys()) {
      const content = await buildSnapshot(this.deps.store.db, controllerId, this.credentialKey, {
        emergencyGroup: this.settings.emergencyGroup,
      });
      try {
        compilePolicy(content.site); // what the controller will do with it: refuse a broken one here
      } catch (error) {
        this.deps.logger.error(
          { controller: controllerId, err: { message: (error as Error).message } },
          'snapshot not sent: the site model does not compile; the controller keeps its last one',
        );
        continue;
      }
      const site = siteAsJson(content.site);
      const hash = createHash('sha256')
        .update(canonicalJson({ site, emergency: content.emergency, offlineDeny: content.offlineDeny }))
        .digest('hex');
      const held = this.snapshots.get(controllerId);
      if (held?.hash === hash) continue;
      const version = Math.max(this.now(), (held?.version ?? 0) + 1);
      // Only people changed, and the controller is known to hold the last one: a delta will do.
      const delta =
        held &&
        held.deltas < MAX_DELTAS &&
        this.coordinators.get(controllerId)!.heldSnapshot === held.version &&
        canonicalJson(held.body.offlineDeny!) === canonicalJson(content.offlineDeny)
          ? peopleDelta(held.body.site as Record<string, Json>, site)
          : undefined;
      const body: Record<string, Json> = {
        kind: 'snapshot',
        version,
        issuedAt: this.now(),
        maxAgeMinutes: this.settings.snapshotMaxAgeMinutes,
        fallback: this.settings.fallback,
        emergency: content.emergency,
        offlineDeny: content.offlineDeny,
        site,
      };
      this.snapshots.set(controllerId, {
        version,
        hash,
        body,
        people: new Set(content.site.people.map((p) => p.id)),
        deltas: delta ? (held?.deltas ?? 0) + 1 : 0,
      });
      const coordinator = this.coordinators.get(controllerId)!;
      // It will hold this one once it arrives; a miss shows in its next heartbeat or hello.
      coordinator.heldSnapshot = version;
      if (delta && held) {
        await coordinator.send({
          kind: 'snapshot-delta',
          base: held.version,
          version,
          issuedAt: this.now(),
          emergency: content.emergency,
          upsert: delta.upsert,
          remove: delta.remove,
        });
      } else await coordinator.send(body);
    }
  }

  // ------------------------------------------------------------------ inbound

  private beat(): void {
    for (const [controllerId, coordinator] of this.coordinators) {
      coordinator.tick(this.settings.linkTimeoutMs);
      const snapshotVersion = this.snapshots.get(controllerId)?.version ?? 0;
      void coordinator.send({ kind: 'server-heartbeat', clock: this.now(), snapshotVersion });
    }
  }

  private received(controllerId: string, body: unknown, seq: number): void {
    const coordinator = this.coordinators.get(controllerId);
    if (!coordinator) return;
    const parsed = parseMessage(body);
    if (!parsed.ok) {
      void this.raise(
        'tamper',
        controllerId,
        `unreadable message from controller ${controllerId}: ${parsed.error}`,
      );
      return;
    }
    const message = parsed.message;
    const now = this.now();
    if (message.kind === 'heartbeat' || message.kind === 'hello') {
      coordinator.heard(message.clock);
      coordinator.heldSnapshot = message.snapshotVersion;
      const report = {
        lastSeq: seq,
        lastSeenAt: now,
        softwareVersion: message.softwareVersion,
        configHash: message.configHash,
        clockOffsetMs: message.clock - now,
        journalPending: message.journalPending,
        snapshotVersion: message.snapshotVersion,
      };
      void recordLinkReport(this.deps.store.db, controllerId, report).catch((error: unknown) =>
        this.deps.logger.error({ err: { message: (error as Error).message } }, 'link report not stored'),
      );
      if (message.kind === 'hello') this.sendWholeIfBehind(controllerId);
    } else {
      coordinator.heard();
    }
  }

  /** A controller that does not hold the current snapshot (it said so, or was away) gets it whole. */
  private sendWholeIfBehind(controllerId: string): void {
    const coordinator = this.coordinators.get(controllerId);
    const held = this.snapshots.get(controllerId);
    if (coordinator && held && coordinator.heldSnapshot !== held.version) void coordinator.send(held.body);
  }

  private async ingest(controllerId: string, events: ControllerEvent[]): Promise<void> {
    const stored = await this.events.appendNew(
      events.map((e) => ({
        controllerId,
        seq: e.seq,
        at: e.at,
        type: e.type,
        ...(e.door !== undefined && { door: e.door }),
        ...(e.area !== undefined && { area: e.area }),
        ...(e.person !== undefined && { personId: e.person }),
        detail: e.detail,
      })),
    );
    const fresh = new Set(stored.map((e) => e.seq));
    await this.coordinatePresence(
      controllerId,
      events.filter((e) => fresh.has(e.seq)),
    );
    // Alarms the controller raised become server alarms, once each, however often a batch is resent.
    for (const e of events) {
      if (e.type !== 'alarm' || !fresh.has(e.seq)) continue;
      const type = String(e.detail.alarm ?? 'tamper');
      await this.raise(
        (ALARM_FROM_CONTROLLER.has(type) ? type : 'tamper') as AlarmType,
        controllerId,
        `${type} at controller ${controllerId}${e.door ? `, door ${e.door}` : ''}${e.detail.detail ? `: ${String(e.detail.detail)}` : ''}`,
        `${controllerId}:${e.seq}`,
      );
    }
  }

  /**
   * Rules that span controllers: a grant at one controller's door moves the person on the server
   * and at every other controller, so anti-passback, occupancy, routes and priority counts hold
   * across doors of different controllers. A passage that contradicts what the server knew — typically decided while a
   * controller was offline and only now reported — is reconciled (the later passage wins) and
   * reported as an antipassback_violation alarm.
   */
  private async coordinatePresence(controllerId: string, events: ControllerEvent[]): Promise<void> {
    const grants = events.filter(
      (e) =>
        e.type === 'access' && e.detail.result === 'grant' && e.person !== undefined && e.door !== undefined,
    );
    if (grants.length === 0) return;
    const db = this.deps.store.db;
    const doorIds = [...new Set(grants.map((e) => e.door!))];
    const doors = new Map(
      (
        await db
          .selectFrom('doors')
          .select(['id', 'from_area', 'to_area'])
          .where('id', 'in', doorIds)
          .execute()
      ).map((d) => [d.id, d]),
    );
    const areaIds = [...new Set([...doors.values()].flatMap((d) => [d.from_area, d.to_area]))];
    // Anti-passback areas are where a double entry is a violation to report.
    const antipassback = new Set(
      (
        await db
          .selectFrom('areas')
          .select('id')
          .where('id', 'in', areaIds)
          .where('antipassback', 'is not', null)
          .execute()
      ).map((a) => a.id),
    );
    const moves: { person: string; area: string; at: number }[] = [];
    for (const e of grants) {
      const door = doors.get(e.door!);
      if (!door) continue;
      const area = e.detail.side === 'out' ? door.from_area : door.to_area;
      const person = e.person!;
      const last = this.presence.get(person);
      // Two passages into the same area by different controllers with no exit known between them:
      // each controller decided without the other's passage (offline, or a race). Report it; the
      // later passage stands. Reports arrive in any order after an outage.
      if (last && last.area === area && antipassback.has(area) && last.controllerId !== controllerId) {
        const [first, second] =
          last.at <= e.at
            ? [
                { ...last, door: last.door },
                { controllerId, at: e.at, door: e.door! },
              ]
            : [
                { controllerId, at: e.at, door: e.door! },
                { ...last, door: last.door },
              ];
        await this.raise(
          'antipassback_violation',
          controllerId,
          `${person} entered ${area} twice without leaving: through ${first.door} (controller ${first.controllerId}) at ${new Date(first.at).toISOString()} and through ${second.door} (controller ${second.controllerId}) at ${new Date(second.at).toISOString()}; reconciled: ${person} is in ${area}`,
          `reconcile:${person}:${Math.min(last.at, e.at)}`,
        );
      }
      if (last && e.at < last.at) continue; // an older passage, reported late: the newer one stands
      this.presence.set(person, { area, at: e.at, controllerId, door: e.door! });
      moves.push({ person, area, at: e.at });
    }
    // One message per controller and batch, with only the people that controller knows.
    if (moves.length === 0) return;
    for (const [id, coordinator] of this.coordinators) {
      const known = this.snapshots.get(id)?.people;
      const relevant = id === controllerId ? [] : moves.filter((m) => known?.has(m.person));
      if (relevant.length > 0) void coordinator.send({ kind: 'presence', moves: relevant });
    }
  }

  private async linkEvents(controllerId: string, events: LinkEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'link') {
        await setLinkState(
          this.deps.store.db,
          controllerId,
          event.state === 'lost' ? 'lost' : 'up',
          event.at,
        );
        this.deps.logger.warn(
          { controller: controllerId, link: event.state },
          `controller link ${event.state}`,
        );
        if (event.state === 'restored') this.sendWholeIfBehind(controllerId);
      } else {
        // One alarm per controller and kind while it is active; a repeat counts up on it.
        await this.raise(
          event.alarm,
          controllerId,
          `controller ${controllerId}: ${event.detail}`,
          `link:${controllerId}:${event.alarm}`,
        );
      }
    }
  }

  private rejected(reason: string, from: string | undefined, topic: string): void {
    void this.raise(
      'tamper',
      from ?? 'unknown',
      `controller message rejected (${reason}) on ${topic}${from ? ` claiming to be ${from}` : ''}`,
      `rejected:${from ?? 'unknown'}:${reason}`,
    );
  }

  private async raise(
    type: AlarmType,
    controllerId: string,
    message: string,
    dedupeKey?: string,
  ): Promise<void> {
    try {
      await this.deps.alarms.raise({
        type,
        source: `controller:${controllerId}`,
        message,
        site: this.settings.site,
        ...(dedupeKey && { dedupeKey }),
      });
    } catch (error) {
      this.deps.logger.error({ err: { message: (error as Error).message } }, 'alarm not stored');
    }
  }
}

// The alarm types of DESIGN.md §6.1 (the core's list) are what a controller may report.
const ALARM_FROM_CONTROLLER: ReadonlySet<string> = new Set(CORE_ALARM_TYPES);
