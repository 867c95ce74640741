// The server's side of the controller fleet (issue 4), put together from its parts:
// - the broker (embedded over TLS with per-controller logins, or an external one) and the hub that
//   signs and verifies every message (src/server/mqtt/);
// - one ControllerCoordinator per enrolled controller (coordinator.ts): link state, the snapshot made
//   for it, ordered sends;
// - enrollment with one-time tokens, status, baselines and remote restart (here);
// - the SnapshotPublisher (snapshot-publisher.ts) and the RevocationFanout (revocation.ts), both fed
//   by the domain events of the service layer;
// - EventIngest (ingest.ts) with the PresenceCoordinator (presence-coordinator.ts) for what
//   controllers report;
// - supervision: heartbeats, comms_lost, time_drift, tamper for rejected messages.

import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { IClientOptions } from 'mqtt';
import { controllerTopics, LoginProofChecker } from '../../contracts/broker-login.ts';
import type { Json } from '../../contracts/canonical.ts';
import { siteCredentialKey } from '../../contracts/credential-key.ts';
import { SEQUENCE_BLOCK, startSequence } from '../../contracts/envelope.ts';
import type { LinkEvent } from '../../contracts/link-supervision.ts';
import type { ControllerEvent, Message, OfflineFallback } from '../../contracts/messages.ts';

/** A controller's answer to an operator command. */
export type CommandResult = Extract<Message, { kind: 'command-result' }>;

import type { AlarmService } from '../alarms/service.ts';
import { constantTimeEqual, newSecretToken, sha256Hex } from '../auth/secrets.ts';
import { brokerPassword, SERVER_BROKER_USER } from '../cluster/broker-credentials.ts';
import { Cluster, type ClusterSettings } from '../cluster/cluster.ts';
import type { RelayMessage } from '../cluster/relay.ts';
import { DomainBus } from '../domain/bus.ts';
import type { Published } from '../domain/events.ts';
import { applyRelayedAlarm } from '../live/alarms.ts';
import type { LiveHub } from '../live/hub.ts';
import { ControllerHub, type ParsedMessage } from '../mqtt/controller-hub.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../mqtt/embedded-broker.ts';
import { claimUse } from '../operations/use-counts.ts';
import { chainKeys } from '../storage/chain.ts';
import type { Store } from '../storage/db.ts';
import { repositories } from '../storage/index.ts';
import { ensureSite, siteById } from '../storage/sites.ts';
import { controllerAlarms, type RaiseControllerAlarm } from './controller-alarms.ts';
import { ControllerCoordinator } from './coordinator.ts';
import { EventIngest, type EventIngestDeps } from './ingest.ts';
import {
  type ControllerLinkStatus,
  enrolledControllers,
  enrollWithToken,
  LinkReportWriter,
  linkStatus,
  raiseServerState,
  readServerState,
  recordBaseline,
  setEnrollmentToken,
  setLinkState,
} from './link-store.ts';
import { PresenceCoordinator, type PresenceOutcome } from './presence-coordinator.ts';
import { RevocationFanout } from './revocation.ts';
import { serverSigningKey } from './server-key.ts';
import { SnapshotPublisher } from './snapshot-publisher.ts';

export const ENROLLMENT_TOKEN_PREFIX = 'mbe_';

export interface ControllerSettings {
  /** the default site: controllers without a site belong to it (created at start when missing) */
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
  /** snapshots and deltas above this many bytes go compressed in chunks of this size (default 256 KiB) */
  snapshotChunkBytes?: number;
  fallback: OfflineFallback;
  emergencyGroup?: string | undefined;
  enrollmentTtlMs: number;
  /**
   * several server instances on one PostgreSQL database and one external broker: coordinator leases
   * and the relay between instances (src/server/cluster/); undefined: this is the only instance
   */
  cluster?: ClusterSettings | undefined;
  /**
   * how the server and controllers log in to an external broker: `derived` — as monban-server and as
   * their ids, with passwords derived from the installation key (the broker's configuration comes
   * from `monban broker-config`); `none` (default) — no login
   */
  brokerLogin?: 'derived' | 'none';
}

export const DEFAULT_CONTROLLER_SETTINGS: ControllerSettings = {
  site: 'main',
  heartbeatMs: 5_000,
  linkTimeoutMs: 15_000,
  snapshotMaxAgeMinutes: 24 * 60,
  fallback: 'emergency_only',
  enrollmentTtlMs: 24 * 3_600_000,
};

export interface ControllerLinkDeps {
  store: Store;
  installationKey: Uint8Array;
  logger: FastifyBaseLogger;
  alarms: AlarmService;
  /** the domain events of the service layer: they drive snapshots and revocations */
  bus: DomainBus;
  /** the management server's certificate: the embedded broker serves TLS with it */
  tls?: { cert: string; key: string } | undefined;
  settings?: Partial<ControllerSettings>;
  now?: () => number;
  /** told of every newly stored controller event (key uses); failures are logged only */
  onEvents?: (controllerId: string, events: readonly ControllerEvent[]) => Promise<void>;
  /** stored with every batch of controller events, in its transaction (the webhook outbox) */
  inEventBatch?: EventIngestDeps['inBatch'];
  /** told when a controller's link is lost or restored (webhooks); failures are logged only */
  onLink?: (controllerId: string, state: 'lost' | 'restored', at: number) => Promise<void>;
  /** live state: what each controller reports of its doors, and new events as soon as they are stored (server/live) */
  live?: LiveHub;
  /** told what the link does (metrics, src/server/metrics/); nothing it does depends on it */
  observer?: LinkObserver;
}

/** What the link reports as it works: every event newly stored, every send, every message. */
export interface LinkObserver {
  /** events stored for the first time (resent ones not again) */
  ingested?(controllerId: string, events: readonly ControllerEvent[], now: number): void;
  /** a signed message handed to the broker (QoS 1: until the broker acknowledged it) */
  published?(kind: string, seconds: number, ok: boolean): void;
  /** a verified message from a controller */
  received?(controllerId: string, kind: string): void;
  /** a message refused (forged, replayed, malformed, not stored) */
  rejected?(reason: string): void;
  /** what a controller's hello or heartbeat said */
  heard?(controllerId: string, report: { journalPending: number; clockOffsetMs: number }): void;
}

/** One controller as the link sees it now (metrics, status pages). */
export interface FleetEntry {
  controllerId: string;
  link: 'up' | 'lost' | 'unknown';
  /** the version of the snapshot made for it, and when its building started (0: none yet) */
  snapshotVersion: number;
  snapshotIssuedAt: number;
  /** the version it says it holds */
  controllerHolds: number;
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
  /** the controller's password at an external broker with MONBAN_MQTT_LOGIN=derived */
  brokerPassword?: string;
}

/** server_state key of the server's reserved signing sequence */
const SEQ_STATE = 'controller-link-seq';
/** Changes arrive in bursts (a CSV import, a form saved twice): wait this long before rebuilding. */
const REBUILD_DELAY_MS = 50;

export class ControllerLink {
  readonly settings: ControllerSettings;
  readonly snapshots: SnapshotPublisher;
  readonly revocations: RevocationFanout;
  private readonly now: () => number;
  private readonly signing;
  private readonly credentialKey: Uint8Array;
  private readonly keys = new Map<string, KeyObject>();
  /** broker login proofs, each accepted once */
  private readonly proofs = new LoginProofChecker();
  private readonly coordinators = new Map<string, ControllerCoordinator>();
  private readonly repos;
  private readonly raise: RaiseControllerAlarm;
  private readonly ingest: EventIngest;
  private readonly unsubscribe: (() => void)[] = [];
  private broker: EmbeddedBroker | undefined;
  private hub: ControllerHub | undefined;
  private timer: NodeJS.Timeout | undefined;
  private mqttUrl = '';
  /** controller → the topic of its site; the default site's topic for the rest */
  private readonly topics = new Map<string, string>();
  private defaultTopic: string;
  /** controller → its site id */
  private readonly siteIds = new Map<string, string>();
  /** the domain events this link acts on: this instance's, and the other instances' (cluster) */
  private readonly linkBus: DomainBus;
  private cluster: Cluster | undefined;

  constructor(readonly deps: ControllerLinkDeps) {
    this.settings = { ...DEFAULT_CONTROLLER_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    this.signing = serverSigningKey(deps.installationKey);
    this.credentialKey = siteCredentialKey(deps.installationKey);
    this.repos = repositories(deps.store.db, deps.installationKey);
    this.defaultTopic = this.settings.site;
    this.raise = controllerAlarms(
      deps.alarms,
      (id) => this.siteIds.get(id) ?? this.settings.site,
      deps.logger,
    );
    // Fan-outs (snapshots, revocations, presence) go to the controllers this instance owns; the
    // other instances do the same for theirs.
    const coordinators = () => [...this.coordinators.values()].filter((c) => this.owns(c.controllerId));
    this.linkBus = new DomainBus(deps.logger, this.now);
    this.snapshots = new SnapshotPublisher({
      db: deps.store.db,
      credentialKey: this.credentialKey,
      settings: this.settings,
      coordinators,
      logger: deps.logger,
      now: this.now,
      ...(this.settings.snapshotChunkBytes && {
        transfer: {
          chunkSize: this.settings.snapshotChunkBytes,
          threshold: this.settings.snapshotChunkBytes,
        },
      }),
    });
    this.revocations = new RevocationFanout({
      credentialKey: this.credentialKey,
      coordinators,
      people: this.repos.people,
    });
    this.presence = new PresenceCoordinator({
      presence: this.repos.presence,
      doors: this.repos.doors,
      areas: this.repos.areas,
      coordinators,
      raise: this.raise,
      // Moves for controllers the other instances own: they tell theirs (relayed).
      relay: async (outcome) => {
        await this.cluster?.publish('presence', outcome.controllerId, {
          controllerId: outcome.controllerId,
          moves: outcome.moves,
        });
      },
    });
    this.reports = new LinkReportWriter(deps.store.db, (error: unknown) =>
      deps.logger.error({ err: { message: (error as Error).message } }, 'link report not stored'),
    );
    this.ingest = new EventIngest({
      db: deps.store.db,
      credentialKey: this.credentialKey,
      eventKey: chainKeys(deps.installationKey).events,
      presence: this.presence,
      raise: this.raise,
      logger: deps.logger,
      // The push stream hears of new events the moment they are committed (issue 9: ≤ 250 ms).
      ...(deps.live && {
        committed: (id: string, events: readonly ControllerEvent[]) => deps.live!.ingested(id, events),
      }),
      // One writer on SQLite; PostgreSQL commits a few groups at once on its pool's connections.
      groupsInFlight: deps.store.dialect === 'postgres' ? 4 : 1,
      ...(deps.onEvents && { observe: deps.onEvents }),
      ...(deps.inEventBatch && { inBatch: deps.inEventBatch }),
    });
  }

  private readonly presence: PresenceCoordinator;
  /** heartbeats and hellos, written for the whole fleet together (link-store.ts) */
  private readonly reports: LinkReportWriter;

  /** Whether this instance acts for the controller (always, unless several instances share it). */
  owns(controllerId: string): boolean {
    return this.cluster === undefined || this.cluster.owns(controllerId);
  }

  /** This instance's id in the cluster, if it is in one. */
  get instanceId(): string | undefined {
    return this.cluster?.instanceId;
  }

  /** what controllers should trust for the broker: our certificate, or the external broker's CA */
  private get brokerCa(): string | undefined {
    return this.broker ? this.deps.tls?.cert : this.settings.mqttCa;
  }

  get brokerUrl(): string {
    return this.mqttUrl;
  }

  /** Every enrolled controller's coordinator. */
  allCoordinators(): ControllerCoordinator[] {
    return [...this.coordinators.values()];
  }

  private readonly resultListeners = new Set<(controllerId: string, result: CommandResult) => void>();

  /** Answers of controllers to operator commands (server/operations); returns the unsubscribe. */
  onCommandResult(listener: (controllerId: string, result: CommandResult) => void): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  /** The coordinator of one enrolled controller (commands with a per-controller outcome). */
  coordinator(controllerId: string): ControllerCoordinator | undefined {
    return this.coordinators.get(controllerId);
  }

  /** Every enrolled controller's link and snapshot, as this server sees them now. */
  fleet(): FleetEntry[] {
    return [...this.coordinators.values()].map((c) => ({
      controllerId: c.controllerId,
      link: c.linkState === 'up' || c.linkState === 'lost' ? c.linkState : 'unknown',
      snapshotVersion: c.snapshotVersion,
      snapshotIssuedAt: c.snapshot?.issuedAt ?? 0,
      controllerHolds: c.controllerHolds,
    }));
  }

  /** The topic segment of a controller's site (monban/<topic>/…). */
  topicOf(controllerId: string): string {
    return this.topics.get(controllerId) ?? this.defaultTopic;
  }

  /** Reloads which topic each controller uses, from its site (the default site is created if missing). */
  private async loadTopics(): Promise<void> {
    const db = this.deps.store.db;
    await ensureSite(db, this.settings.site, this.now());
    const rows = await db
      .selectFrom('controllers')
      .leftJoin('sites', 'sites.id', 'controllers.site')
      .select(['controllers.id as id', 'controllers.site as site', 'sites.topic as topic'])
      .execute();
    this.defaultTopic = (await siteById(db, this.settings.site))?.topic ?? this.settings.site;
    this.topics.clear();
    this.siteIds.clear();
    for (const r of rows) {
      if (r.topic) this.topics.set(r.id, r.topic);
      if (r.site) this.siteIds.set(r.id, r.site);
    }
  }

  async start(): Promise<void> {
    const { settings } = this;
    await this.loadTopics();
    const enrolled = await enrolledControllers(this.deps.store.db);
    for (const c of enrolled) this.addController(c.controllerId, c.publicKeyPem);
    const mqtt: IClientOptions = {};
    if (settings.mqttUrl) {
      this.mqttUrl = settings.mqttUrl;
      mqtt.protocolVersion = 5;
      if (settings.mqttCa) mqtt.ca = settings.mqttCa;
      if (settings.brokerLogin === 'derived') {
        mqtt.username = SERVER_BROKER_USER;
        mqtt.password = brokerPassword(this.deps.installationKey, SERVER_BROKER_USER);
      }
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
            return (
              key !== undefined &&
              this.proofs.check(this.topicOf(username), username, password, key, this.now())
            );
          },
          topics: (username) =>
            username === 'server' ? undefined : controllerTopics(this.topicOf(username), username),
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
    // Raised, never lowered: instances of a cluster reserve from the same value.
    await raiseServerState(db, SEQ_STATE, firstSeq + SEQUENCE_BLOCK);
    if (settings.cluster)
      this.cluster = new Cluster(
        db,
        this.deps.installationKey,
        settings.cluster,
        {
          controllers: () => this.refreshEnrolled(),
          acquired: (ids) => this.acquired(ids),
          lost: (ids) => this.lost(ids),
          message: (message) => this.relayed(message),
          live: this.deps.live,
        },
        this.deps.logger,
        this.now,
      );
    this.hub = new ControllerHub({
      firstSeq,
      ...(this.cluster && {
        clientId: `monban-server-${settings.site}-${this.cluster.instanceId}`.slice(0, 128),
        accepts: (controllerId: string) => this.owns(controllerId),
      }),
      reserveSeq: (upTo) =>
        void raiseServerState(db, SEQ_STATE, upTo).catch((error: unknown) =>
          this.deps.logger.error(
            { err: { message: (error as Error).message } },
            'sequence reservation not stored',
          ),
        ),
      url: this.mqttUrl,
      ...(this.broker && { inProcess: this.broker.connectInProcess }),
      site: settings.site,
      topicOf: (controllerId) => this.topicOf(controllerId),
      serverKey: this.signing.privateKey,
      controllerKeys: (id) => this.keys.get(id),
      now: this.now,
      mqtt,
      lastSeqs: new Map(enrolled.map((c) => [c.controllerId, c.lastSeq])),
      onRejected: (reason, from, topic) => this.rejected(reason, from, topic),
      onError: (error) =>
        this.deps.logger.warn({ err: { message: error.message } }, 'broker connection error; reconnecting'),
      onMessage: (from, _body, seq, parsed) => this.received(from, parsed, seq),
      ingest: async (from, events) => {
        const news = await this.ingest.ingest(from, events);
        this.deps.observer?.ingested?.(from, news, this.now());
      },
    });
    await this.hub.start();
    // Every change to the site data: revocations at once, snapshots after a short pause — for this
    // instance's writes and, in a cluster, the other instances' (each acts for its controllers).
    this.unsubscribe.push(
      this.revocations.subscribe(this.linkBus),
      this.linkBus.subscribe('snapshots', (batch) =>
        this.snapshots.changed(
          batch.map((p) => p.event),
          REBUILD_DELAY_MS,
        ),
      ),
      // A controller's site, or a site's topic, decides where its messages go.
      this.linkBus.on('topics', ['site.changed'], async (event) => {
        if (event.resource === 'site' || event.resource === 'controller') await this.loadTopics();
      }),
      this.deps.bus.subscribe('controller-link', async (batch) => {
        await this.linkBus.deliver(batch);
        await this.cluster?.publish('domain', null, batch);
      }),
    );
    await this.cluster?.start();
    this.timer = setInterval(() => this.beat(), settings.heartbeatMs);
    this.timer.unref();
    // A snapshot counts as current only while the server keeps confirming it; build them now.
    this.snapshots.schedule(0);
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    clearInterval(this.timer);
    await this.cluster?.stop();
    await this.snapshots.stop();
    await Promise.all([...this.coordinators.values()].map((c) => c.idle()));
    await this.hub?.stop();
    await this.reports.flush();
    await this.broker?.close();
  }

  /** Resolves when pending snapshot work and sends are done (tests, shutdown). */
  async settled(): Promise<void> {
    await this.snapshots.settled();
    await Promise.all([...this.coordinators.values()].map((c) => c.idle()));
    await this.reports.flush();
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
    // Its own snapshot only: the others have not changed.
    this.snapshots.buildMissing(0);
    await this.loadTopics();
    return {
      site: this.topicOf(controllerId),
      mqttUrl: this.mqttUrl,
      mqttProtocol: this.broker ? 4 : 5,
      serverPublicKey: this.signing.publicKeyPem,
      credentialKey: Buffer.from(this.credentialKey).toString('base64'),
      ...(this.brokerCa && { brokerCa: this.brokerCa }),
      ...(!this.broker &&
        this.settings.brokerLogin === 'derived' && {
          brokerPassword: brokerPassword(this.deps.installationKey, controllerId),
        }),
    };
  }

  private addController(controllerId: string, publicKeyPem: string): void {
    this.keys.set(controllerId, createPublicKey(publicKeyPem));
    if (this.coordinators.has(controllerId)) return;
    const coordinator = new ControllerCoordinator(controllerId, {
      send: async (body) => {
        // Another instance owns it: that one signs and sends it (relayed through the database).
        if (!this.owns(controllerId)) {
          if (!this.cluster) throw new Error('not owned');
          await this.cluster.publish('send', controllerId, body);
          return;
        }
        if (!this.hub?.connected) throw new Error('broker not connected');
        const started = performance.now();
        const kind = typeof body.kind === 'string' ? body.kind : 'unknown';
        try {
          await this.hub.command(controllerId, body);
          this.deps.observer?.published?.(kind, (performance.now() - started) / 1000, true);
        } catch (error) {
          this.deps.observer?.published?.(kind, (performance.now() - started) / 1000, false);
          throw error;
        }
      },
      now: this.now,
      // A failed write here (SQLite busy behind a long import switch) must never end the server:
      // it is logged, and the next link event writes the state again.
      onLinkEvents: (events) =>
        void this.linkEvents(controllerId, events).catch((error: unknown) =>
          this.deps.logger.error(
            { controller: controllerId, err: { message: (error as Error).message } },
            'controller link event not recorded',
          ),
        ),
      onSendFailed: (error) =>
        this.deps.logger.warn(
          { controller: controllerId, err: { message: (error as Error).message } },
          'send to controller failed',
        ),
    });
    this.coordinators.set(controllerId, coordinator);
  }

  // ------------------------------------------------------------------ status and commands

  /** Whether the controller is in the registry (enrolled or not). */
  async registered(controllerId: string): Promise<boolean> {
    return (await this.repos.controllers.get(controllerId)) !== undefined;
  }

  async status(controllerId: string): Promise<ControllerLinkStatus | undefined> {
    // From what was last heard (shared by every server instance), not from a remembered transition;
    // what this instance heard last is written first.
    await this.reports.flush();
    return linkStatus(this.deps.store.db, controllerId, this.now(), this.settings.linkTimeoutMs);
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

  // ------------------------------------------------------------------ inbound

  // ------------------------------------------------------------------ cluster

  /** Enrolled controllers as the database has them now (enrolled on any instance), keys included. */
  private async refreshEnrolled(): Promise<string[]> {
    const enrolled = await enrolledControllers(this.deps.store.db);
    for (const c of enrolled) {
      const known = this.keys.get(c.controllerId);
      if (!known || known.export({ type: 'spki', format: 'pem' }).toString() !== c.publicKeyPem)
        this.addController(c.controllerId, c.publicKeyPem);
    }
    if (enrolled.some((c) => !this.topics.has(c.controllerId))) await this.loadTopics();
    return enrolled.map((c) => c.controllerId);
  }

  /**
   * Coordinators taken over: sign above every sequence reserved by any instance (the one before may
   * have used its whole block), take the controller's last sequence from the database, and send it
   * a whole snapshot (what it holds is not known here).
   */
  private async acquired(ids: string[]): Promise<void> {
    const db = this.deps.store.db;
    this.hub?.advanceSequence((await readServerState(db, SEQ_STATE)) + SEQUENCE_BLOCK);
    for (const c of await enrolledControllers(db))
      if (ids.includes(c.controllerId)) this.hub?.rememberSeq(c.controllerId, c.lastSeq);
    for (const id of ids) {
      const coordinator = this.coordinators.get(id);
      if (!coordinator) continue;
      coordinator.snapshot = undefined;
      coordinator.controllerHolds = 0;
      this.snapshots.forget(id);
    }
    this.snapshots.buildMissing(0);
  }

  private lost(ids: string[]): void {
    for (const id of ids) {
      const coordinator = this.coordinators.get(id);
      if (coordinator) coordinator.snapshot = undefined;
      this.snapshots.forget(id);
    }
  }

  /** Tells the other server instances (the cluster relay); nothing when this is the only one. */
  async relay(kind: 'alarm', body: unknown): Promise<void> {
    await this.cluster?.publish(kind, null, body);
  }

  private async relayed(message: RelayMessage): Promise<void> {
    if (message.kind === 'domain') await this.linkBus.deliver(message.body as Published[]);
    else if (message.kind === 'presence')
      this.presence.tell(message.body as Pick<PresenceOutcome, 'controllerId' | 'moves'>);
    else if (message.kind === 'alarm' && this.deps.live) applyRelayedAlarm(this.deps.live, message.body);
    else if (message.kind === 'send' && message.controllerId && this.owns(message.controllerId))
      await this.coordinators.get(message.controllerId)?.send(message.body as Record<string, Json>);
  }

  // ------------------------------------------------------------------ inbound

  private beat(): void {
    for (const coordinator of this.coordinators.values()) {
      if (!this.owns(coordinator.controllerId)) continue;
      coordinator.tick(this.settings.linkTimeoutMs);
      void coordinator.send({
        kind: 'server-heartbeat',
        clock: this.now(),
        snapshotVersion: coordinator.snapshotVersion,
      });
    }
  }

  private received(controllerId: string, parsed: ParsedMessage, seq: number): void {
    const coordinator = this.coordinators.get(controllerId);
    if (!coordinator || !this.owns(controllerId)) return;
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
    this.deps.observer?.received?.(controllerId, message.kind);
    if (message.kind === 'heartbeat' || message.kind === 'hello') {
      coordinator.heard(message.clock);
      // A hello (a start, a reconnect, a controller that knows it is behind) is taken as it is.
      if (message.kind === 'hello') coordinator.controllerHolds = message.snapshotVersion;
      else coordinator.reportedHolds(message.snapshotVersion);
      const report = {
        lastSeq: seq,
        lastSeenAt: now,
        softwareVersion: message.softwareVersion,
        configHash: message.configHash,
        clockOffsetMs: message.clock - now,
        journalPending: message.journalPending,
        snapshotVersion: message.snapshotVersion,
      };
      this.deps.observer?.heard?.(controllerId, report);
      this.reports.record(controllerId, report);
      if (message.kind === 'hello') this.snapshots.resendIfBehind(coordinator, message.transfer);
    } else if (message.kind === 'snapshot-request') {
      coordinator.heard();
      this.snapshots.resendChunks(coordinator, message.transfer, message.missing);
    } else if (message.kind === 'door-state') {
      coordinator.heard();
      this.deps.live?.reported(controllerId, message, now);
    } else if (message.kind === 'use-claim') {
      coordinator.heard();
      void claimUse(this.deps.store.db, message.credential)
        .then((answer) => coordinator.send({ kind: 'use-answer', id: message.id, ...answer }))
        .catch((error: unknown) =>
          this.deps.logger.error({ err: { message: (error as Error).message } }, 'use claim failed'),
        );
    } else if (message.kind === 'command-result') {
      coordinator.heard();
      for (const listener of this.resultListeners) listener(controllerId, message);
    } else {
      coordinator.heard();
    }
  }

  /**
   * The stored link state is what the API shows. A write can fail (SQLite still locked by another
   * writer after the driver's 30 s wait, storage/sqlite-driver.ts): it is logged, never an error
   * that ends the server. Not retried here: the driver has waited already.
   */
  private async storeLinkState(controllerId: string, state: 'lost' | 'up', at: number): Promise<void> {
    await setLinkState(this.deps.store.db, controllerId, state, at).catch((error: unknown) =>
      this.deps.logger.error(
        { controller: controllerId, err: { message: (error as Error).message } },
        'controller link state not stored',
      ),
    );
  }

  private async linkEvents(controllerId: string, events: LinkEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'link') {
        await this.storeLinkState(controllerId, event.state === 'lost' ? 'lost' : 'up', event.at);
        this.deps.logger.warn(
          { controller: controllerId, link: event.state },
          `controller link ${event.state}`,
        );
        const coordinator = this.coordinators.get(controllerId);
        if (event.state === 'restored' && coordinator)
          this.snapshots.resendIfBehind(coordinator, undefined, 'restored');
        await this.deps
          .onLink?.(controllerId, event.state, event.at)
          .catch((error: unknown) =>
            this.deps.logger.error({ err: { message: (error as Error).message } }, 'link listener failed'),
          );
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
    this.deps.observer?.rejected?.(reason);
    // An unchanged resend (MQTT QoS 1 after a reconnect, contracts/envelope.ts) is counted, not alarmed.
    if (reason === 'duplicate') return;
    void this.raise(
      'tamper',
      from ?? 'unknown',
      `controller message rejected (${reason}) on ${topic}${from ? ` claiming to be ${from}` : ''}`,
      `rejected:${from ?? 'unknown'}:${reason}`,
    );
  }
}
