// The controller's link to the server over MQTT: it accepts only commands signed by the server's
// key, on its own command topic, with a sequence that moves forward, and applies them to the local
// decision engine at once (a revocation is effective on receipt). Forged or replayed commands are
// dropped and become alarms.

import { createHmac, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { Opener, Sealer } from '../contracts/envelope.ts';
import { parseMessage } from '../contracts/messages.ts';
import type { SiteEngine } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';

export interface ServerLinkOptions {
  url: string;
  site: string;
  controllerId: string;
  controllerKey: KeyObject;
  serverKey: KeyObject;
  /** the site key for keyed credential hashes: revocations name credentials only by hash */
  credentialHashKey: Uint8Array;
  engine: SiteEngine;
  now: () => number;
  record: (event: CoreEvent) => void;
  /** the server stored every event up to this journal sequence */
  onEventsAck?: (upTo: number) => void;
}

export function credentialHash(key: Uint8Array, credentialKey: string): string {
  return createHmac('sha256', key).update(credentialKey).digest('hex');
}

export class ServerLink {
  private client: MqttClient | undefined;
  private readonly opener: Opener;
  readonly sealer: Sealer;
  private readonly byHash = new Map<string, { person: string; credential: string }>();

  constructor(private readonly options: ServerLinkOptions) {
    this.opener = new Opener((sender) => (sender === 'server' ? options.serverKey : undefined));
    this.sealer = new Sealer(options.controllerId, options.controllerKey);
    for (const credential of options.engine.policy.credentials.values()) {
      this.byHash.set(credentialHash(options.credentialHashKey, credential.key), {
        person: credential.personId,
        credential: credential.key,
      });
    }
  }

  get commandTopic(): string {
    return `monban/${this.options.site}/server/commands/${this.options.controllerId}`;
  }

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.options.url, {
      clientId: `monban-${this.options.controllerId}`,
      protocolVersion: 4,
      reconnectPeriod: 500,
    });
    this.client.on('message', (topic, payload) => this.onCommand(topic, payload));
    await this.client.subscribeAsync(this.commandTopic, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Publishes a signed message on this controller's own topic (QoS 1). */
  async publish(kind: string, body: Record<string, unknown>): Promise<void> {
    const topic = `monban/${this.options.site}/controllers/${this.options.controllerId}/${kind}`;
    const envelope = this.sealer.seal(topic, body as never, this.options.now());
    await this.client!.publishAsync(topic, JSON.stringify(envelope), { qos: 1 });
  }

  private alarm(detail: string): void {
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
      this.alarm(`command rejected: ${opened.reason}`);
      return;
    }
    // The server may only command this controller on this controller's topic.
    if (opened.envelope.topic !== topic || topic !== this.commandTopic) {
      this.alarm('command rejected: wrong topic');
      return;
    }
    const parsed = parseMessage(opened.envelope.body);
    if (parsed.ok && parsed.message.kind === 'events-ack') {
      this.options.onEventsAck?.(parsed.message.upTo);
      return;
    }
    if (!parsed.ok || parsed.message.kind !== 'command') {
      this.alarm('command rejected: malformed body');
      return;
    }
    const command = parsed.message;
    const now = this.options.now();
    const { engine } = this.options;
    switch (command.command) {
      case 'revoke': {
        const target = this.byHash.get(command.credential);
        if (target)
          for (const e of engine.operator(
            { action: 'revoke-credential', person: target.person, credential: target.credential },
            now,
          ))
            this.options.record(e);
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
      case 'restart':
        this.options.record({
          type: 'operator',
          at: now,
          action: 'restart-requested',
          target: this.options.controllerId,
        });
        break;
      default:
        break;
    }
  }
}
