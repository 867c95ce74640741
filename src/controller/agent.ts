// The edge agent (`monban controller run`, issue 4): it decides at its doors with the core, whether or
// not the server is reachable (R-CTL-1), and journals every event durably before it is acted on or
// sent (R-CTL-2). Its policy is the server's signed snapshot for this controller, kept on disk; the
// server's heartbeats keep confirming it, and a snapshot not confirmed within the site's maximum age
// switches the doors to the site's offline fallback and raises an alarm. Credentials arrive and are
// checked as keyed hashes only (contracts/credential-key.ts).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loginProof } from '../contracts/broker-login.ts';
import type { Json } from '../contracts/canonical.ts';
import { credentialIdHash, pinHash } from '../contracts/credential-key.ts';
import type { Envelope } from '../contracts/envelope.ts';
import { check, heard, initialLink, type LinkEvent, type LinkStatus } from '../contracts/link-supervision.ts';
import {
  type ControllerEvent,
  type Message,
  parseMessage,
  type Snapshot,
  type SnapshotDelta,
  type SnapshotManifest,
} from '../contracts/messages.ts';
import { openTransferredSync } from '../contracts/transfer.ts';
import { type Decision, decide } from '../core/decide.ts';
import { effectiveMode, localMoment } from '../core/door-mode.ts';
import { SiteEngine } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';
import { type LockEntry, lockList } from '../core/lock-list.ts';
import type { DoorMode, SiteDef } from '../core/model.ts';
import type { Policy, Side, SiteStructure } from '../core/policy.ts';
import { withOnlyActive, withStructure } from '../core/policy.ts';
import { doorRuntime, presenceOf } from '../core/state.ts';
import { type DoorIo, DoorOutputs } from './door-io.ts';
import { EventUplink } from './event-uplink.ts';
import type { ControllerIdentity } from './identity.ts';
import { Journal, type JournalOptions, JournalWriteError } from './journal.ts';
import { MobileDoors } from './mobile-doors.ts';
import { RuntimeStore } from './runtime-state.ts';
import { type OperatorCommand, ServerLink } from './server-link.ts';
import {
  compileBaseSync,
  compileLines,
  compileMessage,
  type HeldPolicy,
  heldAfterDelta,
  heldHash,
} from './snapshot-source.ts';
import { SnapshotStore, type StoredEntry } from './snapshot-store.ts';
import { TransferReceiver, type TransferStats } from './snapshot-transfer.ts';

export interface AgentOptions {
  dataDir: string;
  identity: ControllerIdentity;
  softwareVersion: string;
  heartbeatMs?: number;
  linkTimeoutMs?: number;
  now?: () => number;
  /** one line of the agent's own log (never a secret) */
  log?: (entry: Record<string, unknown>) => void;
  /** the server asked for a restart; the process should exit and its supervisor start it again */
  onRestart?: (reason: string) => void;
  /** the door outputs (locks); none: decisions only */
  io?: DoorIo;
  /** how long a use claim waits for the server before deciding on the local count (default 1.5 s) */
  claimTimeoutMs?: number;
  /** hardware drivers (readers, I/O modules): started by start(), stopped by stop() */
  drivers?: AgentDriver[];
  /** told of every event as it is journaled (metrics: src/controller/metrics.ts) */
  onEvent?: (event: CoreEvent | DriverEvent) => void;
  /** told after each chunk of a snapshot transfer is taken or refused (metrics, tests) */
  onTransfer?: (stats: TransferStats) => void;
  /** the event journal's file operations (tests: a full disk); default node:fs */
  journalFs?: JournalOptions['fs'];
}

/** What the agent runs with now, for metrics and status. */
export interface AgentHealth {
  snapshotVersion: number;
  /** when the server last confirmed the snapshot in force (0: never) */
  confirmedAt: number;
  /** the offline fallback is in force */
  fallback: boolean;
  serverLink: 'unknown' | 'up' | 'lost';
  brokerConnected: boolean;
  /** events journaled and not yet acknowledged by the server */
  journalPending: number;
  /** chunks still missing of a snapshot transfer under way (0: none under way) */
  transferMissing: number;
  /** the event journal cannot be written (a full disk): doors deny, events wait in memory */
  journalBlocked: boolean;
  /** events waiting in memory for the journal */
  journalHeld: number;
}

/**
 * The driver seam: a driver's constructor only stores its configuration; `start` opens its ports
 * and feeds the agent's input methods; `stop` closes everything `start` opened.
 */
export interface AgentDriver {
  start(agent: ControllerAgent): Promise<void>;
  stop(): Promise<void>;
}

/** An event a driver reports (reader and device state, legacy reads, hardware alarms). */
export type DriverEvent =
  | { type: 'reader'; at: number; reader: string; door?: string; state: string; detail?: string }
  | { type: 'device'; at: number; device: string; door?: string; state: string; detail?: string }
  | {
      type: 'insecure_credential';
      at: number;
      door: string;
      reader: string;
      format: string;
      accepted: boolean;
    }
  | {
      type: 'alarm';
      at: number;
      alarm: 'tamper' | 'comms_lost' | 'low_battery' | 'credential_replay';
      door?: string;
      detail: string;
    }
  /** a decision a battery lock made alone from its key list (locks/), reported once it is back */
  | {
      type: 'access';
      at: number;
      door: string;
      result: 'grant' | 'deny';
      reason: string;
      credential?: string;
      via: string;
      /** a mobile key token refused before the core decided (controller/mobile-doors.ts) */
      side?: Side;
      mobile?: string;
    };

export interface Presentation {
  door: string;
  side: Side;
  /** card number (or mobile/key id) as the reader read it */
  card?: string;
  type?: 'card' | 'mobile' | 'key';
  /** digits typed on the keypad: the card's PIN, or alone a PIN-only credential */
  pin?: string;
  /** the reader reported a fingerprint match for the card's holder (card+biometric doors) */
  biometric?: boolean;
  /** a legacy read anyone on the wire can replay ('wiegand-26', 'uid', …): flagged on the event */
  insecure?: string;
  /**
   * a mobile key whose signed token was verified (controller/mobile-doors.ts): a device-bound mobile
   * key (one with a public key in the snapshot) is refused without — its id alone proves nothing
   */
  signed?: boolean;
}

const SERVER_SEQ_FILE = 'server-seq';
const OWN_SEQ_FILE = 'own-seq';
const EMPTY_SITE: SiteDef = {
  timezone: 'Asia/Tokyo',
  areas: [],
  doors: [],
  schedules: [],
  holidayCalendars: [],
  levels: [],
  groups: [],
  people: [],
};

export class ControllerAgent {
  readonly journal: Journal;
  readonly link: ServerLink;
  private readonly uplink: EventUplink;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly linkTimeoutMs: number;
  private current!: SiteEngine;
  /** the runtime state on disk; set once it has been loaded (no checkpoint of an unloaded state) */
  private runtime: RuntimeStore | undefined;
  /** the snapshot in force, compiled (snapshot-source.ts): its header and policy, no person objects */
  private inForce: HeldPolicy | undefined;
  /** when the server last confirmed that the held snapshot is current */
  private confirmedAt = 0;
  private fallback = false;
  private serverLink: LinkStatus;
  private timer: NodeJS.Timeout | undefined;
  private readonly outputs: DoorOutputs;
  /** mobile keys at this controller's doors: challenges and signed tokens, checked offline */
  readonly mobile: MobileDoors;

  constructor(private readonly options: AgentOptions) {
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.linkTimeoutMs = options.linkTimeoutMs ?? 15_000;
    this.serverLink = initialLink(this.now());
    this.outputs = new DoorOutputs(options.io);
    this.journal = Journal.open(
      join(options.dataDir, 'journal'),
      options.journalFs ? { fs: options.journalFs } : {},
    );
    this.engine = new SiteEngine(EMPTY_SITE, this.now());
    const runtime = new RuntimeStore(join(options.dataDir, 'runtime'));
    const { identity } = options;
    this.link = new ServerLink({
      url: identity.mqttUrl,
      site: identity.site,
      controllerId: identity.controllerId,
      controllerKey: identity.privateKey,
      serverKey: identity.serverKey,
      credentialHashKey: identity.credentialKey,
      engine: () => this.engine,
      now: this.now,
      record: (event) => this.record(event),
      onEventsAck: (upTo, sentAt) => {
        for (const use of this.useLog) if (use.knownAt === null && use.seq <= upTo) use.knownAt = sentAt;
        this.uplink.acknowledged(upTo);
        void this.uplink.flush();
      },
      onServerMessage: (message, envelope) =>
        this.diskSafe('server message', () => this.serverMessage(message, envelope)),
      onRestart: (reason) => this.options.onRestart?.(reason),
      onOperator: (command) => this.operatorCommand(command),
      onBridged: () => this.checkpoint(),
      onConnected: () => {
        void this.sendStatus('hello');
        void this.uplink.flush();
      },
      mqtt: {
        protocolVersion: identity.mqttProtocol,
        ...(identity.brokerCa && { ca: identity.brokerCa }),
      },
      // A broker configured by `monban broker-config` checks a password; Monban's own, a signed proof.
      password: identity.brokerPassword
        ? () => identity.brokerPassword!
        : () => loginProof(identity.site, identity.controllerId, identity.privateKey, this.now()),
      lastServerSeq: this.readSeq(SERVER_SEQ_FILE),
      onServerSeq: (seq) => this.writeSeq(SERVER_SEQ_FILE, seq, false),
      reservedSeq: this.readSeq(OWN_SEQ_FILE),
      reserveSeq: (upTo) => this.writeSeq(OWN_SEQ_FILE, upTo, true),
    });
    this.uplink = new EventUplink(this.journal, this.link);
    // The last policy from the server, so the doors work from the first second, server or not.
    this.store = new SnapshotStore(options.dataDir, identity.serverKey);
    try {
      const stored = this.store.open();
      if (stored) this.install(() => compileBaseSync(stored.base, stored.deltas), false);
    } catch (error) {
      this.record({
        type: 'alarm',
        at: this.now(),
        alarm: 'tamper',
        detail: `stored snapshot refused: ${(error as Error).message}`,
      });
    }
    // A transfer interrupted by the restart: the hello names what is still missing of it.
    this.transfer = new TransferReceiver(join(options.dataDir, 'transfer'), identity.serverKey);
    try {
      this.transfer.load();
    } catch (error) {
      this.record({
        type: 'alarm',
        at: this.now(),
        alarm: 'tamper',
        detail: `staged snapshot transfer dropped: ${(error as Error).message}`,
      });
    }
    // Presence, use counts, overrides, lockdown, threat level, fire zones and timers as they were
    // when this controller stopped — or was killed (controller/runtime-state.ts).
    try {
      const extra = runtime.load(this.engine.policy, this.engine.state);
      if (extra) this.restoreExtra(extra);
    } catch (error) {
      this.record({
        type: 'alarm',
        at: this.now(),
        alarm: 'tamper',
        detail: `stored runtime state refused: ${(error as Error).message}`,
      });
    }
    this.runtime = runtime;
    this.checkpoint();
    this.mobile = new MobileDoors({
      controllerId: identity.controllerId,
      credentialKey: identity.credentialKey,
      now: this.now,
      hasDoor: (door) => this.hasDoor(door),
      publicKeyOf: (hash) => this.mobileKeys().get(hash),
      present: async (p) => this.presentShared(p),
      report: (event) => this.report(event),
    });
  }

  /** Device public keys of the mobile credentials in the snapshot in force, by keyed hash. */
  private mobileKeys(): ReadonlyMap<string, string> {
    return this.inForce?.mobileKeys ?? NO_KEYS;
  }

  private get engine(): SiteEngine {
    return this.current;
  }

  /** A new engine (policy or mode changed): its changes are journaled, and its state saved whole. */
  private set engine(next: SiteEngine) {
    next.onChanges = (changes) => {
      // Once a change could not be journaled, only a whole checkpoint makes the saved state true.
      if (this.runtimeDirty) return;
      try {
        this.runtime?.record(changes);
      } catch (error) {
        if (!isDiskError(error)) throw error;
        this.runtimeDirty = true;
        return;
      }
      if (this.runtime?.due) this.checkpoint();
    };
    this.current = next;
    this.checkpoint();
  }

  /**
   * The runtime state on disk is behind the one in memory: a change or a checkpoint could not be
   * written (a full disk). The state in memory is right and decides; a checkpoint once the disk
   * takes writes again (tick) puts it back on disk whole.
   */
  private runtimeDirty = false;
  private lastCheckpointTry = 0;

  /** Saves the whole runtime state (and what the agent keeps beside it), dropping the journal. */
  private checkpoint(): void {
    this.lastCheckpointTry = this.now();
    try {
      this.runtime?.checkpoint(this.engine.policy, this.engine.state, {
        bridging: this.link.bridgingEntries(),
        localMoves: [...this.localMoves],
        useLog: this.useLog,
      });
    } catch (error) {
      if (!isDiskError(error)) throw error;
      this.runtimeDirty = true;
      return;
    }
    this.runtimeDirty = false;
  }

  /**
   * Runs what writes files on behalf of a message or input (snapshot staging and storing, sequence
   * files): a full disk there must not end the process — it is logged, and what was not stored is
   * asked for again (the next hello names what this controller holds).
   */
  private diskSafe(what: string, act: () => void): void {
    try {
      act();
    } catch (error) {
      if (!isDiskError(error)) throw error;
      this.options.log?.({
        msg: `${what}: not stored`,
        code: (error as NodeJS.ErrnoException).code ?? 'EIO',
      });
    }
  }

  private restoreExtra(extra: Record<string, unknown>): void {
    if (Array.isArray(extra.bridging)) this.link.restoreBridging(extra.bridging as [string, number][]);
    if (Array.isArray(extra.useLog)) this.useLog = extra.useLog as typeof this.useLog;
    if (Array.isArray(extra.localMoves))
      for (const [person, at] of extra.localMoves as [string, number][]) this.localMoves.set(person, at);
  }

  async start(): Promise<void> {
    await this.link.start(false);
    this.timer = setInterval(() => this.tick(), Math.min(this.heartbeatMs, 1_000));
    this.timer.unref();
    for (const driver of this.options.drivers ?? []) {
      await driver.start(this);
      this.started.push(driver);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Drivers first (last started, first stopped): no input arrives once the journal is closed.
    for (const driver of this.started.splice(0).reverse()) await driver.stop();
    await this.link.stop();
    this.uplink.stop();
    this.transfer.close();
    if (!this.releaseHeld())
      this.options.log?.({ msg: 'stopped with events the journal could not take', lost: this.held.length });
    this.checkpoint();
    this.runtime?.close();
    this.journal.close();
  }

  private readonly started: AgentDriver[] = [];

  get snapshotVersion(): number {
    return this.inForce?.header.version ?? 0;
  }

  /** How the last chunked snapshot transfer went (undefined: none since this start). */
  get transferStats(): TransferStats | undefined {
    return this.transfer.stats;
  }

  /** Where this controller believes a person is (area id, or null: unknown). */
  whereIs(personId: string): string | null {
    return presenceOf(this.engine.state, this.engine.policy, personId);
  }

  get inFallback(): boolean {
    return this.fallback;
  }

  health(): AgentHealth {
    return {
      snapshotVersion: this.snapshotVersion,
      confirmedAt: this.inForce ? this.confirmedAt : 0,
      fallback: this.fallback,
      serverLink: this.serverLink.state,
      brokerConnected: this.link.connected,
      journalPending: this.journal.next - 1 - this.journal.acknowledged,
      transferMissing: this.transfer.missing().length,
      journalBlocked: this.journalBlocked !== undefined,
      journalHeld: this.held.length,
    };
  }

  /** The policy key of what was presented: `TYPE:<keyed hash>` (contracts/credential-key.ts). */
  private credentialOf(p: Presentation): string {
    const key = this.options.identity.credentialKey;
    const type = p.type ?? 'card';
    return p.card !== undefined
      ? `${type}:${credentialIdHash(key, type, p.card)}`
      : `pin:${pinHash(key, p.pin ?? '')}`;
  }

  /**
   * A credential at a reader, with use counts shared across the site: a credential with a use limit
   * that would be granted claims one use at the server first, while the server is reachable (issue 9
   * §3: a one-use key opens one door once). Without an answer within the claim timeout — the server
   * away — it is decided on this controller's own count, and the server counts that use when the event
   * reaches it (docs/site-operations.md, "Use counts"). Decided at once (no promise) when nothing
   * needs claiming, so a reader's feedback does not wait for a turn of the event loop.
   */
  presentShared(p: Presentation): Decision | Promise<Decision> {
    const credential = this.credentialOf(p);
    if (this.unsignedMobileKey(p, credential)) return this.present(p);
    const held = this.engine.policy.credentials.get(credential);
    if (
      held === undefined ||
      held.maxUses === Number.POSITIVE_INFINITY ||
      !this.link.connected ||
      this.serverLost
    )
      return this.present(p);
    const now = this.now();
    const request = this.requestOf(p, credential);
    for (const event of this.engine.advance(now)) this.record(event);
    if (decide(this.engine.policy, this.engine.state, request, now).result !== 'grant')
      return this.present(p);
    return this.presentClaimed(p, credential);
  }

  private async presentClaimed(p: Presentation, credential: string): Promise<Decision> {
    const answer = await this.claimUse(credential, p.door);
    if (answer === undefined) return this.present(p);
    const still = this.engine.policy.credentials.get(credential);
    if (!answer.granted && still)
      // None left anywhere: this controller's count says so too, and the decision is the core's.
      this.engine.applyAll([{ op: 'use', credential, count: still.maxUses }]);
    return this.present(p, answer.granted ? { claimedAt: answer.sentAt } : undefined);
  }

  private requestOf(p: Presentation, credential: string) {
    const key = this.options.identity.credentialKey;
    return {
      door: p.door,
      side: p.side,
      credential,
      ...(p.card !== undefined && p.pin !== undefined && { pin: pinHash(key, p.pin) }),
      ...(p.biometric === true && { biometric: true }),
    };
  }

  private claimSeq = 0;
  private readonly claims = new Map<string, (answer: { granted: boolean; sentAt: number }) => void>();
  /**
   * Uses made here of credentials with a limit, until the server has counted them: `knownAt` (server
   * clock) once it has — a claim answered, or the event acknowledged. A snapshot issued after that
   * counts them itself (its limits are what is left); the rest still count here.
   */
  private useLog: { credential: string; knownAt: number | null; seq: number }[] = [];

  private claimUse(
    credential: string,
    door: string,
  ): Promise<{ granted: boolean; sentAt: number } | undefined> {
    const id = `u${++this.claimSeq}-${this.now().toString(36)}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.claims.delete(id);
        resolve(undefined);
      }, this.claimTimeoutMs);
      this.claims.set(id, (answer) => {
        clearTimeout(timer);
        this.claims.delete(id);
        resolve(answer);
      });
      this.link.publish('use-claim', { kind: 'use-claim', id, credential, door }).catch(() => {
        clearTimeout(timer);
        this.claims.delete(id);
        resolve(undefined);
      });
    });
  }

  private get claimTimeoutMs(): number {
    return this.options.claimTimeoutMs ?? 1_500;
  }

  /**
   * A credential at a reader: decided locally, journaled before the answer is returned. A use of a
   * limited credential is the server's to count when its event arrives, unless it was `claimed` at
   * the server before (presentShared).
   */
  present(p: Presentation, claimed?: { claimedAt: number }): Decision {
    const credential = this.credentialOf(p);
    const now = this.now();
    if (this.unsignedMobileKey(p, credential)) return this.refuseUnsigned(p, credential, now);
    // A lost server or a policy past its age takes effect now, not at the next tick.
    this.checkLink(now);
    this.checkAge(now);
    for (const event of this.engine.advance(now)) this.record(event);
    // Decided first (the core's decide is pure), journaled next, applied only once it is on disk:
    // a decision that cannot be journaled opens nothing and changes nothing (fail closed).
    const decision = decide(this.engine.policy, this.engine.state, this.requestOf(p, credential), now);
    if (!this.releaseHeld()) return this.refuseUnjournaled(decision, credential);
    const counted = decision.changes.some((c) => c.op === 'use');
    const events = decision.events.map((event) => {
      let explainedEvent = explained(event, decision, credential);
      if (p.insecure !== undefined && event.type === 'access')
        explainedEvent = { ...explainedEvent, insecure: p.insecure } as unknown as CoreEvent;
      // A use the server has not counted yet: it counts it when this event reaches it.
      if (counted && !claimed && event.type === 'access' && event.result === 'grant')
        explainedEvent = { ...explainedEvent, unclaimedUse: true } as unknown as CoreEvent;
      return explainedEvent;
    });
    let seqs: number[];
    try {
      seqs = this.journal.appendMany(events.map(journalBytes));
    } catch (error) {
      if (!(error instanceof JournalWriteError)) throw error;
      this.journalFailed(error);
      return this.refuseUnjournaled(decision, credential);
    }
    this.engine.applyAll(decision.changes);
    for (const [i, event] of events.entries()) {
      this.journaled(event);
      if (counted && event.type === 'access' && event.result === 'grant') {
        this.useLog.push({ credential, knownAt: claimed?.claimedAt ?? null, seq: seqs[i]! });
        this.checkpoint(); // rare (credentials with a use limit): the log is saved with the state
      }
    }
    for (const change of decision.changes) if (change.op === 'move') this.localMoves.set(change.person, now);
    this.outputs.sync(this.engine, now);
    return decision;
  }

  /**
   * The journal cannot take the decision's event: the door stays shut, with a reason that says why
   * (journal_failed), and the denial waits in memory for the journal like every event meanwhile.
   */
  private refuseUnjournaled(decided: Decision, credential: string): Decision {
    const access = decided.events.find((e) => e.type === 'access');
    const denial: Decision = {
      result: 'deny',
      reason: 'journal_failed',
      warnings: [],
      trace: [
        {
          rule: 'journal',
          result: 'fail',
          detail: `the event journal cannot be written (${this.journalBlocked ?? 'EIO'}): nobody is let in until it can`,
        },
      ],
      ...(decided.person !== undefined && { person: decided.person }),
      ...(decided.credential !== undefined && { credential: decided.credential }),
      events: [],
      changes: [],
    };
    if (access?.type === 'access') {
      const event = explained(
        { ...access, result: 'deny', reason: 'journal_failed', warnings: [] },
        denial,
        credential,
      );
      // Held at once, not tried again: the journal has just failed (or is failing).
      this.hold(journalBytes(event));
      this.journaled(event);
    }
    return denial;
  }

  /** A device-bound mobile key presented by its id, without its verified token. */
  private unsignedMobileKey(p: Presentation, credential: string): boolean {
    return (
      p.type === 'mobile' && p.signed !== true && this.mobileKeys().has(credential.slice('mobile:'.length))
    );
  }

  private refuseUnsigned(p: Presentation, credential: string, now: number): Decision {
    this.record({
      type: 'access',
      at: now,
      door: p.door,
      side: p.side,
      result: 'deny',
      reason: 'unknown_credential',
      credential,
      via: 'mobile',
      mobile: 'unsigned',
    });
    return {
      result: 'deny',
      reason: 'unknown_credential',
      warnings: [],
      trace: [
        {
          rule: 'credential',
          result: 'fail',
          detail: 'a device-bound mobile key opens only with its signed token',
        },
      ],
      events: [],
      changes: [],
    };
  }

  /** The door position switch changed. */
  doorSensor(door: string, open: boolean): void {
    this.input((now) => this.engine.doorSensor(door, open, now));
  }

  /** A people counter or beam counted `count` people through the door (tailgating check). */
  passage(door: string, count: number): void {
    this.input((now) => this.engine.passage(door, count, now));
  }

  /** What a battery lock at this door keeps to decide alone (core lockList). */
  lockList(door: string): LockEntry[] {
    // A battery lock checks ids, not signatures: device-bound mobile keys stay off its list.
    const bound = this.mobileKeys();
    const entries = lockList(this.engine.policy, door);
    return bound.size === 0
      ? entries
      : entries.filter((e) => !(e.credential.startsWith('mobile:') && bound.has(e.credential.slice(7))));
  }

  /** Whether the policy in force has this door (drivers ignore inputs of doors it does not name). */
  hasDoor(door: string): boolean {
    return this.engine.policy.doors.has(door);
  }

  /** The door's mode now (schedule, override, fire and lockdown applied); undefined: unknown door. */
  doorMode(door: string): DoorMode | undefined {
    const { policy, state } = this.engine;
    const compiled = policy.doors.get(door);
    if (compiled === undefined) return undefined;
    const now = this.now();
    return effectiveMode(state, compiled, doorRuntime(state, door), localMoment(policy, now), now, false)
      .mode;
  }

  /** A driver's event (reader or device state, a legacy read, a hardware alarm): journaled and sent. */
  report(event: DriverEvent): void {
    this.record(event);
  }

  /**
   * The request-to-exit button: the door releases without a credential — not while the journal
   * cannot be written (nothing opens that is not journaled; the fire input alone still does).
   */
  requestToExit(door: string): void {
    if (!this.releaseHeld()) {
      this.record({
        type: 'device',
        at: this.now(),
        device: 'rex',
        door,
        state: 'refused',
        detail: 'journal_failed',
      });
      return;
    }
    this.input((now) => this.engine.requestToExit(door, now));
  }

  /** A fire panel input: an active zone unlocks its egress doors until cleared (R-ACC-15). */
  fire(zone: string, active: boolean): void {
    this.input((now) => this.engine.fire(zone, active, now));
  }

  /** An input other than a credential: timers due first, then the input, then the door outputs. */
  private input(apply: (now: number) => CoreEvent[]): void {
    const now = this.now();
    for (const event of this.engine.advance(now)) this.record(event);
    for (const event of apply(now)) this.record(event);
    this.outputs.sync(this.engine, now);
  }

  /**
   * An operator action from the server (door and area actions, issue 9): applied with the core's
   * own operator function, the door outputs driven at once, and answered with its outcome.
   */
  private operatorCommand(command: OperatorCommand): void {
    const now = this.now();
    let outcome: 'applied' | 'refused' = 'applied';
    let detail: string | undefined;
    if (now > command.notAfter) {
      outcome = 'refused';
      detail = 'arrived after it expired';
    } else if (opens(command.action) && !this.releaseHeld()) {
      outcome = 'refused';
      detail = 'the event journal cannot be written';
    } else {
      const action = command.action;
      try {
        for (const event of this.engine.advance(now)) this.record(event);
        const { policy } = this.engine;
        // A lockdown exempt group this controller's policy does not hold has no one here anyway.
        const local =
          action.action === 'set-lockdown'
            ? { ...action, exempt: (action.exempt ?? []).filter((g) => policy.groups.has(g)) }
            : action;
        for (const event of this.engine.operator(local, now)) this.record(event);
        if (
          action.action === 'unlock-door' &&
          doorRuntime(this.engine.state, action.door).releasedUntil <= now
        ) {
          outcome = 'refused';
          detail = 'an interlocked door of its group is open or released';
        }
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        outcome = 'refused';
        detail = error.message;
      }
      this.outputs.sync(this.engine, now);
    }
    void this.sendDoorState();
    this.link
      .publish('command-result', {
        kind: 'command-result',
        id: command.id,
        outcome,
        ...(detail !== undefined && { detail }),
      })
      .catch(() => {
        // offline again: the server shows the action as not confirmed by this controller
      });
  }

  /** The doors' phases and modes (with why), and the site modes, for the server's live view. */
  private async sendDoorState(): Promise<void> {
    const { policy, state } = this.engine;
    const now = this.now();
    const at = localMoment(policy, now);
    const doors = policy.doorList.map((door) => {
      const runtime = doorRuntime(state, door.id);
      const mode = effectiveMode(state, door, runtime, at, now, false);
      return {
        door: door.id,
        phase: runtime.phase,
        heldOpen: runtime.heldAlarmRaised && (runtime.phase === 'open' || runtime.phase === 'forced_open'),
        mode: mode.mode,
        source: mode.source,
        overrideUntil: runtime.override && runtime.override.until > now ? runtime.override.until : null,
      };
    });
    try {
      await this.link.publish('door-state', {
        kind: 'door-state',
        doors,
        lockdown: state.lockdown ? [...state.lockdown.exempt] : null,
        threatLevel: state.threatLevel,
        fireZones: [...state.activeFireZones],
      });
    } catch {
      // offline: the server shows these doors as offline
    }
  }

  /** The case was opened (tamper input): an alarm, journaled and sent like any event. */
  tamper(detail: string): void {
    this.record({ type: 'alarm', at: this.now(), alarm: 'tamper', detail });
  }

  // ------------------------------------------------------------------ events

  /**
   * Journals an event (durable, fsynced, before anything acts on it or sends it) and returns its
   * sequence; 0 when the journal cannot be written and the event waits in memory (journalFailed).
   */
  private record(event: CoreEvent | DriverEvent): number {
    const bytes = journalBytes(event);
    let seq = 0;
    if (this.releaseHeld()) {
      try {
        seq = this.journal.append(bytes);
      } catch (error) {
        if (!(error instanceof JournalWriteError)) throw error;
        this.journalFailed(error);
      }
    }
    if (seq === 0) this.hold(bytes);
    this.journaled(event);
    return seq;
  }

  /** What follows an event's journaling: metrics, the uplink, the live door view. */
  private journaled(event: CoreEvent | DriverEvent): void {
    this.options.onEvent?.(event);
    void this.uplink.flush();
    if (event.type === 'door' || event.type === 'operator' || event.type === 'alarm') this.doorStateSoon();
  }

  // ------------------------------------------------------------------ a journal that cannot be written

  /** the errno code of the journal's last failure while it cannot be written; undefined: it can */
  private journalBlocked: string | undefined;
  /** events journaled meanwhile, in order, waiting in memory (at most HELD_MAX) */
  private held: Uint8Array[] = [];
  /** events beyond HELD_MAX, not kept (counted, and reported once the journal works again) */
  private heldDropped = 0;
  /** when the held events were last tried (agent clock) */
  private lastRelease = 0;

  private journalFailed(error: JournalWriteError): void {
    this.lastRelease = this.now();
    if (this.journalBlocked === undefined)
      this.options.log?.({
        msg: 'event journal cannot be written: doors deny until it can',
        code: error.code,
      });
    this.journalBlocked = error.code;
  }

  private hold(bytes: Uint8Array): void {
    if (this.held.length < HELD_MAX) this.held.push(bytes);
    else this.heldDropped++;
  }

  /**
   * Whether the journal takes writes: when events wait in memory, they are written first (in
   * order, all or none), and what could not be kept is reported. False while it still fails.
   * (While the journal fails something is always held: each failure holds the event it failed on.)
   */
  private releaseHeld(): boolean {
    if (this.journalBlocked === undefined) return true;
    // Tried again at most once a second (either way: the clock may be set back meanwhile), so a
    // stream of presentations at a full disk does not rewrite what waits each time.
    const now = this.now();
    if (Math.abs(now - this.lastRelease) < RELEASE_EVERY_MS) return false;
    this.lastRelease = now;
    try {
      while (this.held.length > 0) {
        const batch = this.held.slice(0, 500);
        this.journal.appendMany(batch);
        this.held.splice(0, batch.length);
      }
    } catch (error) {
      if (!(error instanceof JournalWriteError)) throw error;
      this.journalBlocked = error.code;
      return false;
    }
    const dropped = this.heldDropped;
    this.journalBlocked = undefined;
    this.heldDropped = 0;
    this.options.log?.({ msg: 'event journal writable again', dropped });
    if (dropped > 0)
      this.record({
        type: 'device',
        at: this.now(),
        device: 'journal',
        state: 'overflow',
        detail: `${dropped} events beyond the ${HELD_MAX} kept in memory while the journal could not be written were lost`,
      });
    void this.uplink.flush();
    return true;
  }

  private doorStatePending = false;

  /**
   * A door changed (phase, override, lockdown, fire, held open): its state goes to the server's live
   * view now rather than with the next heartbeat — once, after the events of this turn are applied.
   */
  private doorStateSoon(): void {
    if (this.doorStatePending) return;
    this.doorStatePending = true;
    queueMicrotask(() => {
      this.doorStatePending = false;
      void this.sendDoorState();
    });
  }

  // ------------------------------------------------------------------ server link

  private async sendStatus(kind: 'hello' | 'heartbeat'): Promise<void> {
    // A hello names a transfer staged in part: the server sends what it lacks, so give that time.
    const transfer = kind === 'hello' ? this.transfer.progress() : undefined;
    if (transfer) this.lastChunkAt = this.now();
    try {
      await this.link.publish(kind, {
        kind,
        clock: this.now(),
        softwareVersion: this.options.softwareVersion,
        configHash: this.configHash(),
        snapshotVersion: this.snapshotVersion,
        journalPending: this.journal.next - 1 - this.journal.acknowledged,
        ...(transfer && { transfer }),
      });
    } catch {
      // offline: supervision notices; the next beat tries again
    }
  }

  /** Hash of what this controller runs with: software version and policy snapshot. */
  configHash(): string {
    return createHash('sha256')
      .update(`${this.options.softwareVersion}\n${this.inForce ? this.snapshotHash : ''}`)
      .digest('hex');
  }

  private snapshotHash = '';
  /** person → when a decision here last moved them (newer than a remote presence report wins) */
  private readonly localMoves = new Map<string, number>();

  private serverMessage(message: Message, envelope: Envelope): void {
    const now = this.now();
    if (message.kind === 'snapshot' || message.kind === 'snapshot-delta') {
      this.policyMessage(message, envelope);
      this.heardServer(now);
      return;
    }
    if (message.kind === 'snapshot-manifest') {
      if (this.wanted(message)) {
        this.transfer.begin(message, envelope);
        this.lastChunkAt = now;
      }
      this.heardServer(now);
      return;
    }
    if (message.kind === 'snapshot-chunk') {
      this.chunk(message);
      this.heardServer(now);
      return;
    }
    if (message.kind === 'use-answer') {
      this.claims.get(message.id)?.({ granted: message.granted, sentAt: envelope.sentAt });
      return;
    }
    if (message.kind === 'presence') {
      // Passages at other controllers' doors; a local passage made since then wins.
      for (const move of message.moves)
        if ((this.localMoves.get(move.person) ?? 0) <= move.at)
          this.engine.movePerson(move.person, move.area, move.at);
      return;
    }
    if (message.kind === 'server-heartbeat') {
      this.heardServer(now, message.clock);
      if (this.inForce && message.snapshotVersion === this.inForce.header.version) this.confirm(now);
      else if (
        message.snapshotVersion > 0 &&
        now - this.lastResync > this.heartbeatMs &&
        !this.transferFlowing(now)
      ) {
        this.lastResync = now;
        void this.sendStatus('hello'); // behind the server: the hello brings the whole snapshot
      }
    }
  }

  private heardServer(now: number, serverClock?: number): void {
    const { status, events } = heard(this.serverLink, now, serverClock);
    this.serverLink = status;
    this.linkEvents(events);
  }

  private linkEvents(events: LinkEvent[]): void {
    for (const e of events) {
      if (e.type === 'alarm') {
        this.record({ type: 'alarm', at: e.at, alarm: e.alarm, detail: e.detail });
        continue;
      }
      this.options.log?.({ msg: `server link ${e.state}`, at: e.at });
      // Areas whose rules span controllers and that must not be decided alone: lock their doors
      // while the server is away, and unlock them when it is back.
      if (this.inForce && this.inForce.header.offlineDeny.length > 0)
        this.engine = new SiteEngine(this.policyFor(this.fallback), e.at, this.engine);
    }
  }

  private checkLink(now: number): void {
    const { status, events } = check(this.serverLink, now, this.linkTimeoutMs);
    this.serverLink = status;
    this.linkEvents(events);
  }

  /** Whether the server link is lost (areas with offline mode `deny` are locked then). */
  get serverLost(): boolean {
    return this.serverLink.state === 'lost';
  }

  private tick(): void {
    const now = this.now();
    // A journal that could not be written is tried again each tick, and a runtime state behind.
    this.releaseHeld();
    if (this.runtimeDirty && this.journalBlocked === undefined && now - this.lastCheckpointTry >= 1_000)
      this.checkpoint();
    for (const event of this.engine.advance(now)) this.record(event);
    this.checkLink(now);
    this.checkAge(now);
    this.checkTransfer(now);
    // Strike times running out, schedules, overrides from the server, new snapshots.
    this.outputs.sync(this.engine, now);
    // A clock set back (NTP step, operator) must not silence the heartbeats until it catches up
    // with the last one: the server would miss the time change and, past its timeout, the controller.
    if (now - this.lastBeat >= this.heartbeatMs || now < this.lastBeat) {
      this.lastBeat = now;
      void this.sendStatus('heartbeat');
      void this.sendDoorState();
    }
    void this.uplink.flush();
  }

  private lastBeat = 0;
  private lastResync = 0;
  private readonly store: SnapshotStore;
  private readonly transfer: TransferReceiver;
  /** when a chunk of the staged transfer last arrived, or its missing chunks were last asked for */
  private lastChunkAt = 0;

  // ------------------------------------------------------------------ snapshots

  /**
   * A snapshot or delta from the server (one message, or a verified transfer): installed, stored,
   * and reported in a heartbeat so the server learns at once which policy is in force. A delta on a
   * snapshot this controller does not hold is ignored: the server heartbeat shows the mismatch, and
   * the hello that follows brings the whole snapshot.
   */
  private policyMessage(message: Snapshot | SnapshotDelta, entry: StoredEntry): boolean {
    const held = this.inForce;
    if (message.kind === 'snapshot' && held && message.version < held.header.version) return false;
    const installed =
      message.kind === 'snapshot'
        ? this.install(() => compileMessage(message), true)
        : held?.header.version === message.base &&
          this.install(() => heldAfterDelta(held, message, () => this.recompiled(message)), true);
    return installed && this.installed(message, entry);
  }

  /** The policy stored, with `delta` after it, compiled again (a delta that renumbers groups or levels). */
  private recompiled(delta: SnapshotDelta): HeldPolicy {
    const stored = this.store.open();
    if (!stored) throw new Error('no stored snapshot to apply the delta to');
    const held = compileBaseSync(stored.base, [...stored.deltas, delta]);
    if (held.header.version !== delta.version) throw new Error('stored snapshot behind the one in force');
    return held;
  }

  /** A policy message installed: settled, stored, reported. */
  private installed(
    message: { kind: string; version: number; issuedAt: number },
    entry: StoredEntry,
  ): boolean {
    this.link.settleRevocations(this.engine, message.issuedAt);
    this.checkpoint();
    if (message.kind === 'snapshot') this.store.saveWhole(entry);
    else this.store.appendDelta(entry);
    // A transfer staged for this version or an older one has nothing left to bring.
    if (this.transfer.manifest && this.transfer.manifest.version <= message.version) this.transfer.discard();
    void this.sendStatus('heartbeat');
    return true;
  }

  /** Whether a manifest brings something this controller can use (newer, and on what it holds). */
  private wanted(manifest: SnapshotManifest): boolean {
    if (manifest.version <= this.snapshotVersion) return false;
    return manifest.payload === 'snapshot' || manifest.base === this.snapshotVersion;
  }

  private chunk(message: Extract<Message, { kind: 'snapshot-chunk' }>): void {
    const outcome = this.transfer.chunk(message);
    if (outcome === 'ignored' || outcome === 'duplicate') return;
    this.lastChunkAt = this.now();
    if (this.transfer.stats) this.options.onTransfer?.(this.transfer.stats);
    if (outcome === 'abandoned') {
      this.record({
        type: 'alarm',
        at: this.now(),
        alarm: 'tamper',
        detail: `snapshot transfer ${message.transfer} given up: chunk ${message.index} kept failing its hash`,
      });
    } else if (outcome === 'refused') {
      void this.requestChunks([message.index]);
    } else if (outcome === 'complete') {
      void this.finishTransfer();
    } else if (message.index === (this.transfer.manifest?.chunks.length ?? 0) - 1) {
      // The last chunk came and some did not (refused in their envelopes, or lost): ask for those.
      void this.requestChunks(this.transfer.missing());
    }
  }

  private async requestChunks(missing: number[]): Promise<void> {
    const transfer = this.transfer.manifest?.transfer;
    if (!transfer || missing.length === 0) return;
    this.lastChunkAt = this.now();
    try {
      await this.link.publish('snapshot-request', { kind: 'snapshot-request', transfer, missing });
    } catch {
      // offline: the hello after the reconnect names the missing chunks
    }
  }

  /**
   * Every chunk is in: checked whole, then installed like a snapshot sent in one message. A snapshot
   * in lines is compiled as it is decompressed from its file (snapshot-lines.ts), the doors deciding
   * with the policy in force meanwhile; a delta is small, and read whole.
   */
  private async finishTransfer(): Promise<void> {
    const staged = this.transfer.manifest!;
    try {
      const received = this.transfer.complete(this.store.bodyPath(staged.transfer));
      const { manifest } = received;
      const entry = SnapshotStore.transferred(received.envelope, received.file);
      let installed: boolean;
      if (manifest.payload === 'snapshot' && manifest.format === 'lines') {
        if (manifest.version <= this.snapshotVersion) installed = false;
        else {
          const held = await compileLines(received.file, manifest);
          installed =
            held.header.version === manifest.version &&
            held.header.version > this.snapshotVersion &&
            this.install(() => held, true) &&
            this.installed(held.header, entry);
        }
      } else {
        const parsed = parseMessage(openTransferredSync(manifest, readFileSync(received.file)));
        if (!parsed.ok || (parsed.message.kind !== 'snapshot' && parsed.message.kind !== 'snapshot-delta'))
          throw new Error(parsed.ok ? 'not a snapshot' : parsed.error);
        if (parsed.message.version !== manifest.version)
          throw new Error('transfer body is not what its manifest names');
        installed = this.policyMessage(parsed.message, entry);
      }
      if (!installed) this.store.collect(); // not installed: its body file goes
    } catch (error) {
      this.store.collect();
      this.record({
        type: 'alarm',
        at: this.now(),
        alarm: 'tamper',
        detail: `snapshot transfer ${staged.transfer} refused: ${(error as Error).message}`,
      });
    }
  }

  /**
   * Whether chunks of the staged transfer are still coming: then the server heartbeat's newer version
   * is on its way, and asking for it again (a hello naming every chunk not yet here) would only send
   * the chunks in flight twice.
   */
  private transferFlowing(now: number): boolean {
    return this.transfer.manifest !== undefined && now - this.lastChunkAt < 3 * this.heartbeatMs;
  }

  /** Chunks that did not come within a few heartbeats are asked for again (the last one lost, say). */
  private checkTransfer(now: number): void {
    if (!this.transfer.manifest || this.transferFlowing(now) || !this.link.connected) return;
    void this.requestChunks(this.transfer.missing());
  }

  /**
   * Decides with this snapshot from now on; false when it is older or does not compile. A delta is
   * applied to the compiled policy itself (snapshot-source.ts heldAfterDelta: milliseconds for a few
   * people, where recompiling 2,000,000 takes seconds).
   */
  private install(compile: () => HeldPolicy, fromServer: boolean): boolean {
    let engine: SiteEngine;
    let held: HeldPolicy;
    const now = this.now();
    try {
      held = compile();
      if (this.inForce && held.header.version < this.inForce.header.version) return false;
      engine = new SiteEngine(this.policyFor(false, held), now, this.engine);
    } catch (error) {
      this.record({
        type: 'alarm',
        at: now,
        alarm: 'tamper',
        detail: `snapshot refused: ${(error as Error).message}`,
      });
      return false;
    }
    const { header } = held;
    if (fromServer) this.recountUses(engine, header.issuedAt);
    this.inForce = held;
    this.snapshotHash = heldHash(held);
    this.engine = engine;
    this.fallback = false;
    this.confirmedAt = fromServer ? now : header.issuedAt;
    this.options.log?.({ msg: 'policy snapshot installed', version: header.version });
    this.checkAge(now);
    return true;
  }

  /**
   * A snapshot from the server gives what is left of each limited credential as counted when it was
   * issued: only the uses made here that the server had not counted by then still count here.
   */
  private recountUses(engine: SiteEngine, issuedAt: number): void {
    this.useLog = this.useLog.filter((u) => u.knownAt === null || u.knownAt >= issuedAt);
    const counts = new Map<string, number>();
    for (const u of this.useLog) counts.set(u.credential, (counts.get(u.credential) ?? 0) + 1);
    engine.state.uses.clear();
    for (const [credential, count] of counts) engine.state.uses.set(credential, count);
  }

  private confirm(now: number): void {
    this.confirmedAt = now;
    if (this.fallback && this.inForce) {
      this.fallback = false;
      this.engine = new SiteEngine(this.policyFor(false), now, this.engine);
      this.record({
        type: 'operator',
        at: now,
        action: 'offline-fallback-ended',
        target: this.options.identity.controllerId,
      });
    }
  }

  /** A snapshot the server has not confirmed within its maximum age: the site's offline fallback. */
  private checkAge(now: number): void {
    const snapshot = this.inForce?.header;
    if (!snapshot || this.fallback || snapshot.fallback === 'keep_deciding') return;
    if (now - this.confirmedAt <= snapshot.maxAgeMinutes * 60_000) return;
    this.fallback = true;
    this.engine = new SiteEngine(this.policyFor(true), now, this.engine);
    this.record({
      type: 'alarm',
      at: now,
      alarm: 'comms_lost',
      detail: `policy older than ${snapshot.maxAgeMinutes} min: offline fallback ${snapshot.fallback}`,
    });
  }

  /**
   * The policy to decide with: the snapshot's; under the fallback only its emergency list (others
   * count as inactive); while the server is lost, the doors of `offlineDeny` areas locked. Derived
   * from the compiled policy (core withStructure, withOnlyActive), never compiled from people again.
   */
  private policyFor(fallback: boolean, held = this.inForce!): Policy {
    const snapshot = held.header;
    let policy = held.policy;
    if (this.serverLost && snapshot.offlineDeny.length > 0) {
      const deny = new Set(snapshot.offlineDeny);
      const site = snapshot.site as unknown as SiteDef;
      const structure: SiteStructure = {
        ...site,
        doors: site.doors.map((d) =>
          deny.has(d.from) || deny.has(d.to) ? { ...d, mode: 'locked' as const } : d,
        ),
      };
      // Only door modes differ: the same groups and levels, so the people are shared.
      policy = withStructure(policy, structure)!;
    }
    if (fallback)
      policy = withOnlyActive(
        policy,
        new Set(snapshot.fallback === 'emergency_only' ? snapshot.emergency : []),
      );
    return policy;
  }

  // Sequences survive restarts: the last one accepted from the server, so a command captured on the
  // broker cannot be replayed after this controller restarts; and this controller's own reserved
  // block, so the server never takes its messages for replays after a restart with the clock set
  // back. Small files, replaced atomically; the reservation is fsynced before it is used.
  private readSeq(file: string): number {
    const path = join(this.options.dataDir, file);
    const seq = existsSync(path) ? Number(readFileSync(path, 'utf8')) : 0;
    return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
  }

  private writeSeq(file: string, seq: number, durable: boolean): void {
    const path = join(this.options.dataDir, file);
    try {
      writeFileSync(`${path}.tmp`, String(seq), { flush: durable });
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      // Our own reservation must be stored before it is used: the Sealer then uses none (a publish
      // fails and is tried again). The server's last sequence is kept best effort on a full disk.
      if (durable || !isDiskError(error)) throw error;
    }
  }
}

const NO_KEYS: ReadonlyMap<string, string> = new Map();

/** Events that wait in memory at most while the journal cannot be written (a few MB). */
const HELD_MAX = 10_000;
/** How often a journal that cannot be written is tried again. */
const RELEASE_EVERY_MS = 1_000;

/** An event as its journal record: the controller event without its sequence, as JSON. */
function journalBytes(event: CoreEvent | DriverEvent): Uint8Array {
  const { at, ...rest } = event;
  const controllerEvent: Omit<ControllerEvent, 'seq'> = {
    at,
    type: event.type,
    ...('door' in event && event.door !== undefined && { door: event.door }),
    ...('area' in event && event.area !== undefined && { area: event.area }),
    ...('person' in event && event.person !== undefined && { person: event.person }),
    detail: flatDetail(rest),
  };
  return new TextEncoder().encode(JSON.stringify(controllerEvent));
}

/** A file system error (a full disk, a failing device), as opposed to a bug. */
function isDiskError(error: unknown): boolean {
  return (
    error instanceof JournalWriteError ||
    (error instanceof Error &&
      typeof (error as NodeJS.ErrnoException).code === 'string' &&
      /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!))
  );
}

/** Operator actions that may open a door (refused while nothing can be journaled). */
function opens(action: OperatorCommand['action']): boolean {
  return action.action === 'unlock-door' || (action.action === 'override-door' && action.mode === 'unlocked');
}

/** Event fields as flat JSON scalars (lists joined), the shape controller events carry. */
function flatDetail(fields: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const detail: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'door' || k === 'area' || k === 'person' || v === undefined) continue;
    if (Array.isArray(v)) detail[k] = v.join(',');
    else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      detail[k] = v;
    else detail[k] = JSON.stringify(v as Json);
  }
  return detail;
}

/**
 * An access event as the server shows it: a denial carries the trace of the rules checked, and an
 * unknown card, mobile or key names the (hashed) credential presented so the server can tell whose it
 * is. Never for PIN-only credentials: a hash of typed digits stays out of the log.
 */
function explained(event: CoreEvent, decision: Decision, presented: string): CoreEvent {
  if (event.type !== 'access' || event.result !== 'deny') return event;
  return {
    ...event,
    ...(event.credential === undefined && !presented.startsWith('pin:') && { credential: presented }),
    trace: JSON.stringify(decision.trace),
  } as CoreEvent;
}
