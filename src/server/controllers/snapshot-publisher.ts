// The snapshot publisher: keeps every controller's policy snapshot current. A change to the site
// data (any domain event) schedules a rebuild; bursts (a CSV import) coalesce into one. Each
// controller's snapshot is built (snapshot.ts), checked by compiling it as the controller will, and
// sent only when it differs from the last one made for that controller — as a delta of what changed
// (people, doors, schedules, levels, …) when the controller holds the previous snapshot
// (snapshot-delta.ts), else whole. A controller that says it holds an older one gets it whole.
// Large bodies go chunked, compressed and resumable (snapshot-transfer.ts).
//
// Cost: a rebuild reads and hashes each controller's whole snapshot, O(site) per controller and
// change; what goes on the wire is only what changed.

import type { FastifyBaseLogger } from 'fastify';
import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import type { OfflineFallback } from '../../contracts/messages.ts';
import { canonicalSha256 } from '../../contracts/transfer.ts';
import { compilePolicy } from '../../core/policy.ts';
import { addKeysToSnapshot } from '../keys/snapshot-keys.ts';
import { addMobileKeysToSnapshot } from '../mobile/snapshot-mobile.ts';
import type { Executor } from '../storage/db.ts';
import type { ControllerCoordinator } from './coordinator.ts';
import { buildSnapshot, siteAsJson } from './snapshot.ts';
import { siteDelta } from './snapshot-delta.ts';
import {
  DEFAULT_TRANSFER_SETTINGS,
  SnapshotTransfers,
  type TransferObserver,
  type TransferSettings,
} from './snapshot-transfer.ts';

/** After this many deltas the whole snapshot goes again, so what a controller stores stays small. */
const MAX_DELTAS = 50;

export interface SnapshotSettings {
  snapshotMaxAgeMinutes: number;
  fallback: OfflineFallback;
  emergencyGroup?: string | undefined;
  /** the default site: controllers without a site take its time zone and holidays */
  site?: string | undefined;
}

export interface SnapshotPublisherDeps {
  db: Executor;
  credentialKey: Uint8Array;
  settings: SnapshotSettings;
  coordinators: () => Iterable<ControllerCoordinator>;
  logger: Pick<FastifyBaseLogger, 'error'>;
  now: () => number;
  /** when a body goes chunked, and in what chunks (default: above 256 KiB, in 256 KiB) */
  transfer?: Partial<TransferSettings> | undefined;
  transferObserver?: TransferObserver | undefined;
}

export class SnapshotPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly transfers: SnapshotTransfers;

  constructor(private readonly deps: SnapshotPublisherDeps) {
    this.transfers = new SnapshotTransfers(
      { ...DEFAULT_TRANSFER_SETTINGS, ...deps.transfer },
      deps.transferObserver,
    );
  }

  /** Rebuilds after `delayMs`, coalescing bursts of changes into one rebuild. */
  schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running
        .then(() => this.rebuild())
        .catch((error: unknown) =>
          this.deps.logger.error({ err: { message: (error as Error).message } }, 'snapshot rebuild failed'),
        );
    }, delayMs);
    this.timer.unref();
  }

  /** Resolves when scheduled and running rebuilds are done. */
  async settled(): Promise<void> {
    while (this.timer) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.running;
    await this.transfers.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.transfers.idle();
  }

  /**
   * A controller that does not hold the current snapshot (it said so, or was away) gets it whole —
   * or, when it names the last transfer made for it and the chunks it lacks, only those chunks.
   */
  resendIfBehind(
    coordinator: ControllerCoordinator,
    progress?: { transfer: string; missing: readonly number[] },
    /**
     * `restored`: the link came back. When the current snapshot went chunked it is not sent again
     * whole here: the controller names what it lacks in its hello or after the next server heartbeat.
     */
    why: 'hello' | 'restored' = 'hello',
  ): void {
    if (!coordinator.snapshot || !coordinator.behind) return;
    if (why === 'restored' && this.transfers.madeFor(coordinator.controllerId, coordinator.snapshot.version))
      return;
    if (progress && this.transfers.resume(coordinator, progress.transfer, progress.missing)) return;
    this.deliverWhole(coordinator);
  }

  /** A controller asks again for chunks of a transfer (they failed their hash, or never came). */
  resendChunks(coordinator: ControllerCoordinator, transfer: string, missing: readonly number[]): void {
    if (!this.transfers.resume(coordinator, transfer, missing)) this.resendIfBehind(coordinator);
  }

  /** Another server instance acts for the controller now: what was made for it here is void. */
  forget(controllerId: string): void {
    this.transfers.forget(controllerId);
  }

  private deliverWhole(coordinator: ControllerCoordinator): void {
    void this.transfers
      .deliver(coordinator, coordinator.snapshot!.body)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: { message: (error as Error).message } }, 'snapshot not sent'),
      );
  }

  /** Every controller's snapshot, built and sent where it changed. */
  async rebuild(): Promise<void> {
    for (const coordinator of [...this.deps.coordinators()]) await this.publishTo(coordinator);
  }

  private async publishTo(coordinator: ControllerCoordinator): Promise<void> {
    const { deps } = this;
    const controllerId = coordinator.controllerId;
    // The snapshot reflects every write committed before its building started: that instant is its
    // issuedAt, and it must come after the last revocation sent (the controller lifts revocations
    // sent before a snapshot's issuedAt, see controller/server-link.ts).
    let issuedAt = deps.now();
    for (let i = 0; i < 5 && issuedAt <= coordinator.lastRevokeAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      issuedAt = deps.now();
    }
    const content = await buildSnapshot(deps.db, controllerId, deps.credentialKey, {
      emergencyGroup: deps.settings.emergencyGroup,
      defaultSite: deps.settings.site,
    });
    await addKeysToSnapshot(deps.db, content.site, issuedAt);
    await addMobileKeysToSnapshot(deps.db, content.site);
    try {
      compilePolicy(content.site); // what the controller will do with it: refuse a broken one here
    } catch (error) {
      deps.logger.error(
        { controller: controllerId, err: { message: (error as Error).message } },
        'snapshot not sent: the site model does not compile; the controller keeps its last one',
      );
      return;
    }
    const site = siteAsJson(content.site);
    const hash = canonicalSha256({ site, emergency: content.emergency, offlineDeny: content.offlineDeny });
    const held = coordinator.snapshot;
    // Unchanged, and no revocation by command waits for a newer snapshot: nothing to send.
    if (held?.hash === hash && held.issuedAt > coordinator.lastRevokeAt) return;
    const version = Math.max(deps.now(), (held?.version ?? 0) + 1);
    // The controller is known to hold the last one: what changed will do, unless it is most of it.
    const delta =
      held && held.deltas < MAX_DELTAS && coordinator.controllerHolds === held.version
        ? siteDelta(held.body.site as Record<string, Json>, site)
        : undefined;
    const offlineDenyChanged =
      canonicalJson(held?.body.offlineDeny ?? []) !== canonicalJson(content.offlineDeny);
    const body: Record<string, Json> = {
      kind: 'snapshot',
      version,
      issuedAt,
      maxAgeMinutes: deps.settings.snapshotMaxAgeMinutes,
      fallback: deps.settings.fallback,
      emergency: content.emergency,
      offlineDeny: content.offlineDeny,
      site,
    };
    coordinator.snapshot = {
      version,
      issuedAt,
      hash,
      body,
      people: new Set(content.site.people.map((p) => p.id)),
      deltas: delta ? (held?.deltas ?? 0) + 1 : 0,
    };
    // It will hold this one once it arrives; a miss shows in its next heartbeat or hello.
    coordinator.controllerHolds = version;
    if (delta && held)
      await this.transfers.deliver(coordinator, {
        kind: 'snapshot-delta',
        base: held.version,
        version,
        issuedAt,
        emergency: content.emergency,
        upsert: delta.upsert,
        remove: delta.remove,
        ...(Object.keys(delta.changes).length > 0 && { changes: delta.changes as Record<string, Json> }),
        ...(Object.keys(delta.set).length > 0 && { set: delta.set }),
        ...(offlineDenyChanged && { offlineDeny: content.offlineDeny }),
      });
    else await this.transfers.deliver(coordinator, body);
  }
}
