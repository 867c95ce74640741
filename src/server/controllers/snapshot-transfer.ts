// The server's side of chunked snapshot transfer (issue 11 §1; the format is contracts/transfer.ts).
// A snapshot or delta whose canonical JSON is larger than the threshold goes as a signed manifest
// and then its chunks (a snapshot's people as lines, never one string); a smaller one as one message, as before. The last transfer made for each
// controller is kept, so a controller that lost chunks — a reconnect, a restart, a chunk that failed
// its hash — gets only the chunks it names. Chunks are handed to the broker a few at a time (a
// window of acknowledgements), so a 2,000,000-cardholder snapshot does not sit in memory twice and
// a revocation sent meanwhile is not queued behind all of it.

import type { Json } from '../../contracts/canonical.ts';
import {
  canonicalFits,
  DEFAULT_CHUNK_SIZE,
  type PreparedTransfer,
  prepareTransfer,
} from '../../contracts/transfer.ts';
import type { ControllerCoordinator } from './coordinator.ts';

export interface TransferSettings {
  /** bytes of compressed body per chunk */
  chunkSize: number;
  /** bodies whose canonical JSON is at most this many bytes go as one message */
  threshold: number;
}

export const DEFAULT_TRANSFER_SETTINGS: TransferSettings = {
  chunkSize: DEFAULT_CHUNK_SIZE,
  threshold: DEFAULT_CHUNK_SIZE,
};

/** Chunks handed to the broker and not yet acknowledged, at most. */
const WINDOW = 8;

/** What was sent, for metrics and tests. */
export interface TransferObserver {
  /** a manifest went out (a new transfer) */
  manifest?(controllerId: string, transfer: string, chunks: number): void;
  /** chunks handed to the broker for a transfer (all, or the ones a controller asked again) */
  chunks?(controllerId: string, transfer: string, count: number, resumed: boolean): void;
}

export class SnapshotTransfers {
  /** the last transfer made for each controller */
  private readonly last = new Map<string, PreparedTransfer>();
  private pumping: Promise<unknown> = Promise.resolve();
  /** the people lists of bodies being packed now, over several turns, with how many packings read each */
  private readonly packing = new Map<unknown, number>();

  constructor(
    private readonly settings: TransferSettings,
    private readonly observer: TransferObserver = {},
  ) {}

  /** Sends a snapshot or delta body: as one message when small, else as a manifest and chunks. */
  deliver(coordinator: ControllerCoordinator, body: Record<string, Json>): Promise<void> {
    const delivered = this.send(coordinator, body);
    this.pumping = Promise.all([this.pumping, delivered.catch(() => {})]);
    return delivered;
  }

  private async send(coordinator: ControllerCoordinator, body: Record<string, Json>): Promise<void> {
    // Measured piece by piece: a large snapshot is more than one string may hold.
    if (canonicalFits(body, this.settings.threshold)) {
      // Whatever went chunked before is superseded: a controller asking for it gets what is current.
      this.last.delete(coordinator.controllerId);
      await coordinator.send(body);
      return;
    }
    const list = (body.site as { people?: unknown } | undefined)?.people;
    if (list !== undefined) this.packing.set(list, (this.packing.get(list) ?? 0) + 1);
    let prepared: PreparedTransfer;
    try {
      prepared = await prepareTransfer(body, this.settings.chunkSize);
    } finally {
      const left = (this.packing.get(list) ?? 1) - 1;
      if (left > 0) this.packing.set(list, left);
      else this.packing.delete(list);
    }
    const id = coordinator.controllerId;
    this.last.set(id, prepared);
    await coordinator.send(prepared.manifest as unknown as Record<string, Json>);
    this.observer.manifest?.(id, prepared.manifest.transfer, prepared.chunks.length);
    this.pump(coordinator, prepared, prepared.chunks.keys(), false);
  }

  /**
   * A controller names a transfer and the chunks it lacks: those chunks go again, and true. False
   * when that transfer is not the last one made for it (the caller sends what is current instead).
   */
  resume(coordinator: ControllerCoordinator, transfer: string, missing: readonly number[]): boolean {
    const prepared = this.last.get(coordinator.controllerId);
    if (!prepared || prepared.manifest.transfer !== transfer) return false;
    const wanted = [...new Set(missing)].filter((i) => i < prepared.chunks.length).sort((a, b) => a - b);
    this.pump(coordinator, prepared, wanted.values(), true);
    return true;
  }

  /**
   * Whether a body with this people list is being packed now (read over several turns): then the
   * list must not change in place (SnapshotPublisher copies it instead).
   */
  packs(list: unknown): boolean {
    return this.packing.has(list);
  }

  /** Whether the last transfer made for the controller brings this version (it may be under way). */
  madeFor(controllerId: string, version: number): boolean {
    return this.last.get(controllerId)?.manifest.version === version;
  }

  /** Forgets what was made for a controller (another server instance acts for it now). */
  forget(controllerId: string): void {
    this.last.delete(controllerId);
  }

  /** Resolves when every body and chunk handed over so far has been acknowledged or has failed. */
  async idle(): Promise<void> {
    await this.pumping;
  }

  private pump(
    coordinator: ControllerCoordinator,
    prepared: PreparedTransfer,
    indices: Iterable<number>,
    resumed: boolean,
  ): void {
    const id = coordinator.controllerId;
    const { transfer } = prepared.manifest;
    const run = async () => {
      const inFlight = new Set<Promise<unknown>>();
      let count = 0;
      for (const index of indices) {
        // A newer transfer replaced this one: the controller drops these chunks anyway.
        if (this.last.get(id) !== prepared) break;
        const sent = coordinator.send({
          kind: 'snapshot-chunk',
          transfer,
          index,
          data: prepared.chunks[index]!.toString('base64'),
        });
        count++;
        inFlight.add(sent);
        void sent.then(() => inFlight.delete(sent));
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      this.observer.chunks?.(id, transfer, count, resumed);
    };
    this.pumping = Promise.all([this.pumping, run()]);
  }
}
