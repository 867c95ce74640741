// One server instance's part in a cluster of `monban serve` instances on one PostgreSQL database
// and one external broker (issue 11 §5; docs/scale-out.md): the coordinator leases (leases.ts), run
// every third of the lease time, and the relay to the other instances (relay.ts). The controller
// link (controllers/link.ts) asks `owns` before it acts for a controller, and hears through the
// hooks what it took over, what it lost and what the others said. Given the live hub, the cluster
// also carries the live stream between instances itself (live-relay.ts: `live` messages).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { LiveHub } from '../live/hub.ts';
import type { Database } from '../storage/schema.ts';
import { type LeaseChanges, LeaseTable } from './leases.ts';
import { LiveRelay } from './live-relay.ts';
import { ClusterRelay, type RelayKind, type RelayMessage } from './relay.ts';

export interface ClusterSettings {
  /** the PostgreSQL URL (the relay listens on a connection of its own) */
  url: string;
  /** how long a lease holds without renewal (default 10 s): a dead instance's controllers are taken over after it */
  leaseMs: number;
  /** default: host name, process id and random bytes */
  instanceId?: string | undefined;
}

export interface ClusterHooks {
  /** the controllers to share out (every enrolled one) */
  controllers(): Promise<string[]>;
  acquired(controllerIds: string[]): Promise<void>;
  lost(controllerIds: string[]): void;
  message(message: RelayMessage): Promise<void>;
  /** the live hub: what this instance hears goes to the others' hubs, and theirs into it */
  live?: LiveHub | undefined;
}

export function newInstanceId(): string {
  return `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export class Cluster {
  readonly instanceId: string;
  readonly leases: LeaseTable;
  private readonly relay: ClusterRelay;
  private readonly live: LiveRelay | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    db: Kysely<Database>,
    installationKey: Uint8Array,
    private readonly settings: ClusterSettings,
    private readonly hooks: ClusterHooks,
    private readonly logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
    now: () => number,
  ) {
    this.instanceId = settings.instanceId ?? newInstanceId();
    this.leases = new LeaseTable(db, { instanceId: this.instanceId, leaseMs: settings.leaseMs });
    this.relay = new ClusterRelay({
      db,
      installationKey,
      instanceId: this.instanceId,
      url: settings.url,
      now,
      handle: async (message) => {
        if (message.kind === 'live') this.live?.applyLive(message);
        else await hooks.message(message);
      },
      onError: (error) =>
        logger.error({ err: { message: (error as Error).message } }, 'cluster message not handled'),
    });
    this.live =
      hooks.live &&
      new LiveRelay({
        hub: hooks.live,
        publish: (body) => this.relay.publish('live', null, body),
        warn: (details, message) => logger.warn(details, message),
      });
  }

  owns(controllerId: string): boolean {
    return this.leases.owns(controllerId);
  }

  async start(): Promise<void> {
    await this.relay.start();
    this.live?.start();
    await this.tick();
    this.timer = setInterval(
      () => {
        this.round = this.round
          .then(() => this.tick())
          .catch((error: unknown) =>
            this.logger.error({ err: { message: (error as Error).message } }, 'cluster round failed'),
          );
      },
      Math.max(200, Math.floor(this.settings.leaseMs / 3)),
    );
    this.timer.unref();
  }

  /** Stops, giving back every lease so the other instances take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    await this.live?.stop();
    await this.relay.stop();
    const owned = [...this.leases.owned];
    await this.leases.releaseAll().catch(() => {});
    if (owned.length > 0) this.hooks.lost(owned);
  }

  publish(kind: RelayKind, controllerId: string | null, body: unknown): Promise<void> {
    return this.relay.publish(kind, controllerId, body);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const before = [...this.leases.owned];
    let changes: LeaseChanges;
    try {
      changes = await this.leases.round(await this.hooks.controllers());
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'coordinator leases not renewed');
      // Past the lease time without a renewal, this instance owns nothing any more.
      const still = this.leases.owned;
      const lost = before.filter((c) => !still.has(c));
      if (lost.length > 0) this.hooks.lost(lost);
      return;
    }
    if (changes.lost.length > 0) {
      this.logger.warn({ controllers: changes.lost }, 'coordinators lost to another instance');
      this.hooks.lost(changes.lost);
    }
    if (changes.acquired.length > 0) {
      this.logger.info({ controllers: changes.acquired, instance: this.instanceId }, 'coordinators taken');
      await this.hooks.acquired(changes.acquired);
    }
  }
}
