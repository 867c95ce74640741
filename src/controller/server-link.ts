// The controller's link to the server over MQTT: it accepts only commands signed by the server's
// key, on its own command topic, with a sequence that moves forward, and applies them to the local
// decision engine at once (a revocation is effective on receipt). Forged or replayed commands are
// dropped and become alarms.

import type { KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Json } from '../contracts/canonical.ts';
import { credentialIdHash } from '../contracts/credential-key.ts';
import { type Envelope, Opener, Sealer, startSequence } from '../contracts/envelope.ts';
import { type Message, parseMessage } from '../contracts/messages.ts';

/** An operator command as the server sent it (contracts/messages.ts). */
export type OperatorCommand = Extract<Message, { kind: 'command'; command: 'operator' }>;

import type { SiteEngine } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';
import { CREDENTIAL_TYPES } from '../core/model.ts';
import type { Policy } from '../core/policy.ts';

export interface ServerLinkOptions {
  url: string;
  site: string;
  controllerId: string;
  controllerKey: KeyObject;
  serverKey: KeyObject;
  /** the site key for keyed credential hashes: revocations name credentials only by hash */
  credentialHashKey: Uint8Array;
  /** the engine commands act on; a function when snapshots replace it */
  engine: SiteEngine | (() => SiteEngine);
  now: () => number;
  record: (event: CoreEvent) => void;
  /** the server stored every event up to this journal sequence */
  onEventsAck?: (upTo: number, sentAt: number) => void;
  /** verified server messages that are not commands: snapshots, server heartbeats */
  onServerMessage?: (message: Message, envelope: Envelope) => void;
  /** a revocation by command was noted (the agent saves its runtime state) */
  onBridged?: () => void;
  /** an operator command (door and area actions): the agent applies it and answers */
  onOperator?: (command: OperatorCommand) => void;
  /** the server asked for a restart (after it has been recorded) */
  onRestart?: (reason: string) => void;
  /** connection options: TLS trust, protocol version (default MQTT 3.1.1) */
  mqtt?: IClientOptions;
  /** a fresh broker password for each (re)connect: the signed login proof (contracts/broker-login.ts) */
  password?: () => string;
  /** connected and subscribed (after every reconnect) */
  onConnected?: () => void;
  /** the last server sequence accepted before a restart: older server messages stay replays */
  lastServerSeq?: number;
  /** a server message was accepted with this sequence (to keep for the next start) */
  onServerSeq?: (seq: number) => void;
  /** this controller's own sequences reserved before a restart, and where to store new reservations */
  reservedSeq?: number;
  reserveSeq?: (upTo: number) => void;
}

export class ServerLink {
  private client: MqttClient | undefined;
  private readonly opener: Opener;
  readonly sealer: Sealer;
  private byHash = new Map<string, { person: string; credential: string }>();
  private hashedFor: Policy | undefined;

  constructor(private readonly options: ServerLinkOptions) {
    this.opener = new Opener((sender) => (sender === 'server' ? options.serverKey : undefined));
    if (options.lastServerSeq) this.opener.remember('server', options.lastServerSeq);
    // A restarted controller starts above its clock and above what it reserved before (envelope.ts).
    this.sealer = new Sealer(
      options.controllerId,
      options.controllerKey,
      startSequence(options.now(), options.reservedSeq ?? 0),
      options.reserveSeq,
    );
  }

  private get engine(): SiteEngine {
    return typeof this.options.engine === 'function' ? this.options.engine() : this.options.engine;
  }

  /**
   * Which credential a revocation's hash names. Snapshot credentials carry that hash as their id, so
   * it is one lookup per credential type; only credentials with plain ids (sites not built by the
   * server) are hashed, once per policy. A controller with 2,000,000 cardholders never hashes them all.
   */
  private credentialByHash(hash: string): { person: string; credential: string } | undefined {
    const policy = this.engine.policy;
    if (/^[0-9a-f]{64}$/.test(hash)) {
      for (const type of CREDENTIAL_TYPES) {
        const found = policy.credentials.get(`${type}:${hash}`);
        if (found) return { person: found.personId, credential: found.key };
      }
    }
    if (this.hashedFor !== policy) {
      this.byHash = new Map();
      for (const c of policy.people.credentialsWithPlainIds()) {
        const credential = policy.people.credential(c);
        const colon = credential.key.indexOf(':');
        const [type, id] = [credential.key.slice(0, colon), credential.key.slice(colon + 1)];
        this.byHash.set(credentialIdHash(this.options.credentialHashKey, type, id), {
          person: credential.personId,
          credential: credential.key,
        });
      }
      this.hashedFor = policy;
    }
    return this.byHash.get(hash);
  }

  /** revocations by command: credential key → when the server sent it (its clock) */
  private readonly bridging = new Map<string, number>();

  private revoke(engine: SiteEngine, person: string, credential: string, sentAt: number, now: number): void {
    for (const e of engine.operator({ action: 'revoke-credential', person, credential }, now))
      this.options.record(e);
    this.bridging.set(credential, Math.max(sentAt, this.bridging.get(credential) ?? 0));
    this.options.onBridged?.();
  }

  /** Revocations by command waiting for a snapshot, to keep across a restart. */
  bridgingEntries(): [string, number][] {
    return [...this.bridging];
  }

  restoreBridging(entries: readonly [string, number][]): void {
    for (const [credential, sentAt] of entries) this.bridging.set(credential, sentAt);
  }

  /**
   * A revocation by command bridges the time until the next snapshot: once a snapshot the server
   * started building after it sent the command is installed (`issuedAt`, server clock), that
   * snapshot says whether the credential works (a reinstated person or card works again; a revoked
   * one stays denied by its state). Called with the engine of the newly installed snapshot.
   */
  settleRevocations(engine: SiteEngine, issuedAt: number): void {
    for (const [credential, sentAt] of this.bridging)
      if (sentAt < issuedAt) {
        // The core has no change that lifts a revocation; the snapshot took its place.
        engine.state.revoked.delete(credential);
        this.bridging.delete(credential);
      }
  }

  /** the server's public key this link trusts */
  get serverKey(): KeyObject {
    return this.options.serverKey;
  }

  get commandTopic(): string {
    return `monban/${this.options.site}/server/commands/${this.options.controllerId}`;
  }

  /**
   * Connects and subscribes to this controller's command topic, again after every reconnect.
   * `waitForConnect: false` returns at once: a controller starts deciding offline when the broker is
   * down and links up whenever it comes.
   */
  async start(waitForConnect = true): Promise<void> {
    const password = this.options.password;
    const client = mqtt.connect(this.options.url, {
      clientId: `monban-${this.options.controllerId}`,
      protocolVersion: 4,
      reconnectPeriod: 500,
      connectTimeout: 5_000,
      ...this.options.mqtt,
      ...(password && { username: this.options.controllerId, password: password() }),
    });
    this.client = client;
    // A login proof expires: each reconnect signs a fresh one.
    if (password) client.on('close', () => (client.options.password = password()));
    client.on('error', () => {}); // reconnects on its own; the link state shows it
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    const subscribed = new Promise<void>((resolve) => {
      client.on('connect', () => {
        this.connections++;
        client
          .subscribeAsync(this.commandTopic, { qos: 1 })
          .then(() => {
            resolve();
            this.options.onConnected?.();
          })
          .catch(() => {});
      });
    });
    if (waitForConnect) await subscribed;
  }

  async stop(): Promise<void> {
    // Forced: whatever is in flight is in the journal and is sent again after the next start.
    await this.client?.endAsync(true);
  }

  private connections = 0;

  /** Counts connections (each reconnect, each start): what was in flight on an older one is gone. */
  get connection(): number {
    return this.connections;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Publishes a signed message on this controller's own topic (QoS 1). */
  async publish(kind: string, body: Record<string, Json>): Promise<void> {
    if (!this.client?.connected) throw new Error('not connected to the broker');
    const topic = `monban/${this.options.site}/controllers/${this.options.controllerId}/${kind}`;
    const envelope = this.sealer.seal(topic, body, this.options.now());
    await this.client!.publishAsync(topic, JSON.stringify(envelope), { qos: 1 });
  }

  private alarm(detail: string): void {
    console.error('PROBE controller alarm', detail);
    this.options.record({ type: 'alarm', at: this.options.now(), alarm: 'tamper', detail });
  }

  private onCommand(topic: string, payload: Buffer): void {
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      this.alarm('unreadable command message');
      return;
    }
    const opened = this.opener.open(raw);
    if (!opened.ok) {
      // An unchanged resend (MQTT QoS 1 after a reconnect) was acted on already: dropped, no alarm.
      if (opened.reason !== 'duplicate') this.alarm(`command rejected: ${opened.reason}`);
      return;
    }
    this.options.onServerSeq?.(opened.envelope.seq);
    // The server may only command this controller on this controller's topic.
    if (opened.envelope.topic !== topic || topic !== this.commandTopic) {
      this.alarm('command rejected: wrong topic');
      return;
    }
    const parsed = parseMessage(opened.envelope.body);
    if (parsed.ok && parsed.message.kind === 'events-ack') {
      this.options.onEventsAck?.(parsed.message.upTo, opened.envelope.sentAt);
      return;
    }
    if (parsed.ok && parsed.message.kind !== 'command' && this.options.onServerMessage) {
      this.options.onServerMessage(parsed.message, opened.envelope);
      return;
    }
    if (!parsed.ok || parsed.message.kind !== 'command') {
      this.alarm('command rejected: malformed body');
      return;
    }
    const command = parsed.message;
    const now = this.options.now();
    const engine = this.engine;
    switch (command.command) {
      case 'revoke': {
        const target = this.credentialByHash(command.credential);
        if (target) this.revoke(engine, target.person, target.credential, opened.envelope.sentAt, now);
        break;
      }
      case 'revoke-person': {
        const people = engine.policy.people;
        const p = people.indexOf(command.person);
        if (p >= 0)
          for (const c of people.credentialIndices(p))
            this.revoke(engine, command.person, people.credentialKey(c), opened.envelope.sentAt, now);
        break;
      }
      case 'unlock-door':
        for (const e of engine.operator({ action: 'unlock-door', door: command.door }, now))
          this.options.record(e);
        break;
      case 'override-door':
        for (const e of engine.operator(
          { action: 'override-door', door: command.door, mode: command.mode, minutes: command.minutes },
          now,
        ))
          this.options.record(e);
        break;
      case 'operator':
        this.options.onOperator?.(command);
        break;
      case 'restart':
        this.options.record({
          type: 'operator',
          at: now,
          action: 'restart-requested',
          target: this.options.controllerId,
        });
        this.options.onRestart?.(command.reason);
        break;
      default:
        break;
    }
  }
}
