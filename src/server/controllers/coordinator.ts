// One coordinator per enrolled controller (issue 4 §8): everything the server keeps about that one
// controller lives here — its link state, the snapshot the server last made for it and the version
// the controller says it holds, and the queue that keeps what is sent to it in order (commands,
// snapshots, presence updates, acknowledgements reach the controller in the order they were made).
// Link supervision is the shared state machine (contracts/link-supervision.ts): one comms_lost alarm
// when the controller falls silent, one event when it is back, and time_drift when its clock is off
// or jumps. Every send answers with its outcome for this controller (delivered, or not reachable and
// why), so a caller sending to many controllers can report per controller.

import type { Json } from '../../contracts/canonical.ts';
import {
  check,
  heard,
  initialLink,
  type LinkEvent,
  type LinkStatus,
} from '../../contracts/link-supervision.ts';

/** The snapshot the server last made for a controller. */
export interface HeldSnapshot {
  version: number;
  /** when its building started (server clock): it reflects every write committed before */
  issuedAt: number;
  hash: string;
  /** the whole signed body, to resend when the controller is behind */
  body: Record<string, Json>;
  /**
   * the people in it: presence updates and person revocations go only where the person is known;
   * a merge (snapshot-publisher.ts) changes it in place for the record that replaces this one
   */
  people: Set<string>;
  /** deltas sent since the last whole snapshot (the controller keeps them all until the next one) */
  deltas: number;
}

/** What became of one message to one controller. */
export interface SendOutcome {
  controllerId: string;
  /** handed to the broker and acknowledged by it (the controller gets it, now or when back) */
  delivered: boolean;
  /** why not, when not */
  error?: string;
}

/** How long after a snapshot went a report of an older one counts as having crossed it. */
const CROSSING_MS = 2_000;

export interface CoordinatorDeps {
  send(body: Record<string, Json>): Promise<void>;
  now(): number;
  /** link events and alarms, to record and raise */
  onLinkEvents(events: LinkEvent[]): void;
  onSendFailed(error: unknown): void;
}

export class ControllerCoordinator {
  private link: LinkStatus;
  private queue: Promise<unknown> = Promise.resolve();
  /** the snapshot the server last made for this controller */
  snapshot: HeldSnapshot | undefined;
  /** the snapshot version this controller last said it holds (or will hold once the last one lands) */
  controllerHolds = 0;
  /** when the last snapshot (or delta) was handed over to be sent (server clock) */
  private sentAt = Number.NEGATIVE_INFINITY;
  /**
   * When the last revocation command was sent (server clock, after sealing): the controller keeps
   * such revocations until a snapshot issued later, so the next one must go even if unchanged.
   */
  lastRevokeAt = 0;

  constructor(
    readonly controllerId: string,
    private readonly deps: CoordinatorDeps,
  ) {
    this.link = initialLink(deps.now());
  }

  get linkState(): LinkStatus['state'] {
    return this.link.state;
  }

  /** the version of the snapshot made for it (0: none yet) */
  get snapshotVersion(): number {
    return this.snapshot?.version ?? 0;
  }

  /** Whether this controller's snapshot holds the person (it can act on them). */
  knows(person: string): boolean {
    return this.snapshot?.people.has(person) ?? false;
  }

  /** Sends a revocation command and notes when (see lastRevokeAt). */
  revoke(body: Record<string, Json>): Promise<SendOutcome> {
    const outcome = this.send(body);
    this.lastRevokeAt = this.deps.now();
    return outcome;
  }

  /** A snapshot (or delta) of this version goes to the controller now: it will hold it once it lands. */
  sending(version: number): void {
    this.controllerHolds = version;
    this.sentAt = this.deps.now();
  }

  /**
   * What the controller says it holds (hello, heartbeat). An older version than the one just sent
   * is a report made before that one landed (it crossed it on the way), not news: kept for a
   * moment, so the next change still goes as a delta on what is landing. Should the snapshot truly
   * not have landed, the controller's next report after the moment says so (the server heartbeat
   * shows it the version it misses, and it asks).
   */
  reportedHolds(version: number): void {
    if (version < this.controllerHolds && this.deps.now() - this.sentAt < CROSSING_MS) return;
    this.controllerHolds = version;
  }

  /** Whether the controller holds something older than the snapshot made for it. */
  get behind(): boolean {
    return this.snapshot !== undefined && this.controllerHolds !== this.snapshot.version;
  }

  /** A verified message arrived; `peerClock` when it reported the controller's clock. */
  heard(peerClock?: number): void {
    const { status, events } = heard(this.link, this.deps.now(), peerClock);
    this.link = status;
    if (events.length > 0) this.deps.onLinkEvents(events);
  }

  /** Periodic: silence past the timeout marks the link lost (once). */
  tick(timeoutMs: number): void {
    const { status, events } = check(this.link, this.deps.now(), timeoutMs);
    this.link = status;
    if (events.length > 0) this.deps.onLinkEvents(events);
  }

  /**
   * Sends a message now, after everything sent before it: each is signed (its sequence numbered)
   * and handed to the MQTT client in call order, which keeps that order on the wire, so the
   * controller receives them in order without each waiting for the broker's acknowledgement of the
   * one before. Resolves when this one has been acknowledged, or with why it was not.
   */
  send(body: Record<string, Json>): Promise<SendOutcome> {
    const sent = this.deps.send(body).then(
      (): SendOutcome => ({ controllerId: this.controllerId, delivered: true }),
      (error: unknown): SendOutcome => {
        this.deps.onSendFailed(error);
        return { controllerId: this.controllerId, delivered: false, error: (error as Error).message };
      },
    );
    this.queue = Promise.all([this.queue, sent]);
    return sent;
  }

  /** Resolves when everything sent so far has been acknowledged (or has failed). */
  async idle(): Promise<void> {
    await this.queue;
  }
}
