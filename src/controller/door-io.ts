// The controller's door outputs behind one interface: a driver is told whenever a door's lock should
// change (grant, strike time over, scheduled or operator unlock, fire egress), and the agent feeds
// the inputs (readers, door contacts, REX, tamper, fire panel) through its methods. The simulated
// driver (sim-driver.ts) writes these as JSON lines; a relay board driver switches its outputs.

import type { SiteEngine } from '../core/engine.ts';
import { isDoorUnlocked } from '../core/queries.ts';

export interface DoorIo {
  /** drive a door's lock: true = unlocked (strike released or held open), false = locked */
  setUnlocked(door: string, unlocked: boolean): void;
}

/** Tells the driver about every door whose lock state differs from what it was last told. */
export class DoorOutputs {
  private readonly sent = new Map<string, boolean>();

  constructor(private readonly io: DoorIo | undefined) {}

  sync(engine: SiteEngine, now: number): void {
    if (!this.io) return;
    for (const door of engine.policy.doors.keys()) {
      const unlocked = isDoorUnlocked(engine.policy, engine.state, door, now);
      if (this.sent.get(door) === unlocked) continue;
      this.sent.set(door, unlocked);
      this.io.setUnlocked(door, unlocked);
    }
  }
}
