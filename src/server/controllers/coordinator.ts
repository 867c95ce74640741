// One coordinator per enrolled controller (issue 4 §8): it owns that controller's link state and
// serialises everything sent to it, so commands, snapshots, presence updates and acknowledgements
// reach the controller in the order they were made. Link supervision is the shared
// state machine (contracts/link-supervision.ts): one comms_lost alarm when the controller falls
// silent, one event when it is back, and time_drift when its clock is off or jumps.

import type { Json } from '../../contracts/canonical.ts';
import {
  check,
  heard,
  initialLink,
  type LinkEvent,
  type LinkStatus,
} from '../../contracts/link-supervision.ts';

export interface CoordinatorDeps {
  send(body: Record<string, Json>): Promise<void>;
  now(): number;
  /** link events and alarms, to record and raise */
  onLinkEvents(events: LinkEvent[]): void;
  onSendFailed(error: unknown): void;
}

export class ControllerCoordinator {
  private link: LinkStatus;
  private queue: Promise<void> = Promise.resolve();
  /** the snapshot version this controller last said it holds */
  heldSnapshot = 0;

  constructor(
    readonly controllerId: string,
    private readonly deps: CoordinatorDeps,
  ) {
    this.link = initialLink(deps.now());
  }

  get linkState(): LinkStatus['state'] {
    return this.link.state;
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
   * one before. Resolves when this one has been acknowledged (or failed, reported).
   */
  send(body: Record<string, Json>): Promise<void> {
    const sent = this.deps.send(body).catch((error: unknown) => this.deps.onSendFailed(error));
    this.queue = Promise.all([this.queue, sent]).then(() => {});
    return sent;
  }

  /** Resolves when everything sent so far has been acknowledged (or has failed). */
  idle(): Promise<void> {
    return this.queue;
  }
}
