// The driver seam for battery locks behind a hub (R-KEY-4): what the controller asks of a lock and
// what a lock reports. A real hub (Bluetooth or sub-GHz gateway) implements `LockHub`; the simulated
// one (sim-hub.ts) is what the tests and the demo use.

import type { LockEntry } from '../../core/lock-list.ts';

export type LockState = 'locked' | 'unlocked' | 'jammed';

export interface LockStatus {
  lock: string;
  door: string;
  state: LockState;
  /** the door is open longer than it may be */
  ajar: boolean;
  /** 0–100 */
  battery: number;
  /** false once the battery is spent: it does nothing more */
  alive: boolean;
  /** the version of the key list it holds */
  keyListVersion: number;
}

/** What a lock queues while it cannot report, numbered by the lock; delivered exactly once. */
export interface LockEvent {
  lock: string;
  seq: number;
  at: number;
  type: 'access' | 'state' | 'battery';
  door: string;
  /** access: 'grant' | 'deny' */
  result?: 'grant' | 'deny';
  reason?: string;
  /** access: the credential presented, as the lock knows it (a keyed hash) */
  credential?: string;
  state?: LockState | 'ajar' | 'closed';
  battery?: number;
}

export interface KeyList {
  version: number;
  entries: LockEntry[];
}

/** A hub as the controller sees it. Every call fails while the hub is unreachable. */
export interface LockHub {
  locks(): Promise<LockStatus[]>;
  /** the lock keeps this list and decides from it alone */
  sendKeyList(lock: string, list: KeyList): Promise<void>;
  /** queued events after `afterSeq` */
  events(lock: string, afterSeq: number): Promise<LockEvent[]>;
  /** the lock may forget its events up to `seq` */
  acknowledge(lock: string, seq: number): Promise<void>;
  /** a remote unlock (an operator, an online mobile unlock) */
  unlock(lock: string): Promise<boolean>;
}
