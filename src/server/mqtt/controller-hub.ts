// The server's side of controller traffic: signs commands to each controller's topic and checks every
// message from controllers (signature, topic, sequence) before it is used; anything forged or
// replayed is dropped and reported for an alarm.

import type { KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import type { Json } from '../../contracts/canonical.ts';
import { Opener, Sealer, sequenceStart, topicOwner } from '../../contracts/envelope.ts';
import { type ControllerEvent, parseMessage } from '../../contracts/messages.ts';

/** What parseMessage says of a body. */
export type ParsedMessage = ReturnType<typeof parseMessage>;

export interface HubOptions {
  url: string;
  /** the default topic segment (and the server's client id) */
  site: string;
  /** the topic segment of a controller's site (default: `site` for all) */
  topicOf?: (controllerId: string) => string;
  serverKey: KeyObject;
  /** enrolled controllers' public keys */
  controllerKeys: (controllerId: string) => KeyObject | undefined;
  now: () => number;
  onRejected?: (reason: string, from: string | undefined, topic: string) => void;
  /** a verified message: its sender, body and envelope sequence, and the body read (parsed once) */
  onMessage?: (controllerId: string, body: unknown, seq: number, parsed: ParsedMessage) => void;
  /** connection options: TLS trust, MQTT protocol version, broker login (default MQTT 3.1.1) */
  mqtt?: IClientOptions;
  /**
   * the client's errors after it connected (a keepalive timeout, a lost connection): it reconnects
   * by itself; this only reports them (an 'error' event nobody listens to would end the process)
   */
  onError?: (error: Error) => void;
  /** a connection to a broker in this process (EmbeddedBroker.connectInProcess), instead of `url` */
  inProcess?: () => Duplex;
  /** the last sequence accepted from each controller before a restart, so old messages stay replays */
  lastSeqs?: ReadonlyMap<string, number>;
  /** where the server's own sequence starts (default: from the clock), and where to store reservations */
  firstSeq?: number;
  reserveSeq?: (upTo: number) => void;
  /** the MQTT client id (default monban-server-<site>; each server instance of a cluster needs its own) */
  clientId?: string;
  /**
   * whether this server acts for the controller now (default all): messages from any other are
   * left to the server instance that owns it (src/server/cluster/)
   */
  accepts?: (controllerId: string) => boolean;
  /** stores a batch of a controller's events exactly once; the hub then acknowledges the batch */
  ingest?: (controllerId: string, events: ControllerEvent[]) => Promise<void>;
}

export class ControllerHub {
  private client: MqttClient | undefined;
  private readonly sealer: Sealer;
  private readonly opener: Opener;
  /**
   * Signatures are checked and made in libuv's pool, several at once; what they are for still
   * happens in order: messages are admitted in the order they arrived (a sender's sequence must move
   * on), and commands go out in the order they were sealed (each controller checks the server's).
   */
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();

  constructor(private readonly options: HubOptions) {
    this.sealer = new Sealer(
      'server',
      options.serverKey,
      options.firstSeq ?? sequenceStart(options.now()),
      options.reserveSeq,
    );
    this.opener = new Opener(options.controllerKeys);
    for (const [controller, seq] of options.lastSeqs ?? []) this.opener.remember(controller, seq);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const options: IClientOptions = {
      clientId: this.options.clientId ?? `monban-server-${this.options.site}`,
      protocolVersion: 4,
      reconnectPeriod: 500,
      ...this.options.mqtt,
    };
    const inProcess = this.options.inProcess;
    this.client = inProcess
      ? await connected(new MqttClient(() => inProcess() as never, options))
      : await mqtt.connectAsync(this.options.url, options);
    this.client.on('error', (error) => this.options.onError?.(error));
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    // Every site's controllers: each message must then come on its sender's own site topic.
    const site = this.options.topicOf ? '+' : this.options.site;
    await this.client.subscribeAsync(`monban/${site}/controllers/+/#`, { qos: 1 });
  }

  /** Sends a signed command to one controller (QoS 1). */
  async command(controllerId: string, body: Record<string, Json>): Promise<void> {
    const topic = `monban/${this.topicOf(controllerId)}/server/commands/${controllerId}`;
    const sealed = this.sealer.sealInPool(topic, body, this.options.now());
    // Handed to the client in sequence order; the publish itself is awaited apart, so one slow
    // acknowledgement does not hold up the commands behind it.
    let published!: Promise<unknown>;
    const handed = this.outgoing.then(async () => {
      const text = await sealed;
      published = this.client!.publishAsync(topic, text, { qos: 1 });
    });
    this.outgoing = handed.catch(() => undefined);
    await handed;
    await published;
  }

  /** Signs from above `seq` on (see Sealer.advanceTo). */
  advanceSequence(seq: number): void {
    this.sealer.advanceTo(seq);
  }

  /** The last sequence accepted from a controller, as another server instance knew it. */
  rememberSeq(controllerId: string, seq: number): void {
    this.opener.remember(controllerId, seq);
  }

  private topicOf(controllerId: string): string {
    return this.options.topicOf?.(controllerId) ?? this.options.site;
  }

  async stop(): Promise<void> {
    // Forced: a broker that is away must not hold up shutdown. Whatever was unacknowledged is sent
    // again by its sender (the journal backlog; snapshots at the controller's next hello).
    await this.client?.endAsync(true);
    // Messages whose signature was still being checked are dealt with before stop returns.
    await this.incoming;
  }

  private onMessage(topic: string, payload: Buffer): void {
    // Another server instance's controller: not ours to check, store or acknowledge.
    const sender = topicOwner(topic);
    if (this.options.accepts && sender !== undefined && sender !== 'server' && !this.options.accepts(sender))
      return;
    const verified = this.opener.verifyReceived(payload);
    this.incoming = this.incoming
      .then(async () => this.admitted(topic, this.opener.admit(await verified)))
      .catch((error: unknown) =>
        this.options.onRejected?.(`message not handled: ${(error as Error).message}`, sender, topic),
      );
  }

  private admitted(topic: string, opened: ReturnType<Opener['admit']>): void {
    if (!opened.ok) {
      this.options.onRejected?.(opened.reason, opened.from, topic);
      return;
    }
    const from = opened.envelope.from;
    if (!topic.startsWith(`monban/${this.topicOf(from)}/`)) {
      this.options.onRejected?.('wrong_topic', from, topic);
      return;
    }
    // Read once, for both the link and the ingest (an events batch is hundreds of events).
    const parsed = parseMessage(opened.envelope.body);
    this.options.onMessage?.(from, opened.envelope.body, opened.envelope.seq, parsed);
    if (parsed.ok && parsed.message.kind === 'events' && this.options.ingest) {
      const events = parsed.message.events;
      const upTo = Math.max(...events.map((e) => e.seq));
      // Acknowledge only once the batch is stored; a failure means no ack, and the controller resends.
      this.options
        .ingest(from, events)
        .then(() => this.command(from, { kind: 'events-ack', upTo }))
        .catch((error: unknown) =>
          this.options.onRejected?.(`ingest failed: ${(error as Error).message}`, from, topic),
        );
    }
  }
}

/** The client once it is connected, as mqtt.connectAsync gives it (its first error refuses it). */
function connected(client: MqttClient): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      client.off('connect', done);
      client.end(true);
      reject(error);
    };
    const done = () => {
      client.off('error', failed);
      resolve(client);
    };
    client.once('connect', done);
    client.once('error', failed);
  });
}
