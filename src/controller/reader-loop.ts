// Feeds reader input (cards, keypad) into the decision core and shows the outcome on the reader's
// LED and buzzer; turns reader link loss and tamper into alarms. One loop per controller, owning the
// readers of its doors. Time comes from the injected clock; the only timer is the PIN-entry window.

import type { AccessRequest, Decision } from '../core/decide.ts';
import { effectiveMode, localMoment } from '../core/door-mode.ts';
import type { SiteEngine } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';
import type { Side } from '../core/policy.ts';
import { doorRuntime } from '../core/state.ts';
import type { CardRead, ReaderPort } from './reader-port.ts';

export interface ReaderBinding {
  id: string;
  door: string;
  side: Side;
  port: ReaderPort;
}

export interface ReaderLoopOptions {
  engine: SiteEngine;
  now: () => number;
  /** every decision, alarm and reader event, for the journal */
  record: (event: CoreEvent | ReaderEvent) => void;
  /** how long a card waits for its PIN at card+PIN doors */
  pinWindowMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export type ReaderEvent =
  | { type: 'reader'; at: number; reader: string; door: string; state: 'online' | 'offline' }
  | { type: 'insecure_credential'; at: number; reader: string; door: string; format: string };

interface PendingCard {
  read: CardRead;
  keys: string;
  timer: unknown;
}

const GRANT_BEEP = { count: 1, onMs: 100 };
const DENY_BEEP = { count: 3, onMs: 150 };
const DENY_LED_MS = 2000;

export class ReaderLoop {
  private readonly pending = new Map<string, PendingCard>();
  private readonly pinOnly = new Map<string, string>();
  private readonly pinWindowMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly options: ReaderLoopOptions,
    private readonly readers: readonly ReaderBinding[],
  ) {
    this.pinWindowMs = options.pinWindowMs ?? 10_000;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** Subscribes to every reader. Call `stop()` to cancel pending PIN windows. */
  start(): void {
    for (const reader of this.readers) {
      reader.port.on('card', (read) => this.onCard(reader, read));
      reader.port.on('keypad', (keys) => this.onKeys(reader, keys));
      reader.port.on('online', (online) => this.onLink(reader, online));
      reader.port.on('tamper', (active) => {
        if (active)
          this.options.record({
            type: 'alarm',
            at: this.options.now(),
            alarm: 'tamper',
            door: reader.door,
            detail: `reader ${reader.id}`,
          });
      });
    }
  }

  stop(): void {
    for (const pending of this.pending.values()) this.clearTimer(pending.timer);
    this.pending.clear();
  }

  private needsPin(reader: ReaderBinding, now: number): boolean {
    const { policy, state } = this.options.engine;
    const door = policy.doors.get(reader.door);
    if (door === undefined) return false;
    return (
      effectiveMode(state, door, doorRuntime(state, door.id), localMoment(policy, now), now, false).mode ===
      'card+pin'
    );
  }

  private onCard(reader: ReaderBinding, read: CardRead): void {
    const now = this.options.now();
    if (read.insecure !== undefined) {
      this.options.record({
        type: 'insecure_credential',
        at: now,
        reader: reader.id,
        door: reader.door,
        format: read.insecure,
      });
    }
    this.cancelPending(reader);
    if (this.needsPin(reader, now)) {
      // Card+PIN: hold the card until the PIN is entered with `#`, or the window closes.
      const timer = this.setTimer(() => {
        this.pending.delete(reader.id);
        this.decide(reader, {
          door: reader.door,
          side: reader.side,
          credential: `card:${read.credentialId}`,
        });
      }, this.pinWindowMs);
      this.pending.set(reader.id, { read, keys: '', timer });
      reader.port.led('amber', this.pinWindowMs);
      return;
    }
    this.decide(reader, { door: reader.door, side: reader.side, credential: `card:${read.credentialId}` });
  }

  private onKeys(reader: ReaderBinding, keys: string): void {
    for (const key of keys) {
      const pending = this.pending.get(reader.id);
      if (key === '*') {
        if (pending) pending.keys = '';
        else this.pinOnly.delete(reader.id);
        continue;
      }
      if (key === '#') {
        if (pending) {
          this.cancelPending(reader);
          this.decide(reader, {
            door: reader.door,
            side: reader.side,
            credential: `card:${pending.read.credentialId}`,
            pin: pending.keys,
          });
        } else {
          const digits = this.pinOnly.get(reader.id) ?? '';
          this.pinOnly.delete(reader.id);
          if (digits.length > 0)
            this.decide(reader, { door: reader.door, side: reader.side, credential: `pin:${digits}` });
        }
        continue;
      }
      if (!/^[0-9]$/.test(key)) continue;
      if (pending) pending.keys += key;
      else this.pinOnly.set(reader.id, `${this.pinOnly.get(reader.id) ?? ''}${key}`.slice(-16));
    }
  }

  private onLink(reader: ReaderBinding, online: boolean): void {
    const at = this.options.now();
    this.options.record({
      type: 'reader',
      at,
      reader: reader.id,
      door: reader.door,
      state: online ? 'online' : 'offline',
    });
    if (!online)
      this.options.record({
        type: 'alarm',
        at,
        alarm: 'comms_lost',
        door: reader.door,
        detail: `reader ${reader.id}`,
      });
  }

  private cancelPending(reader: ReaderBinding): void {
    const pending = this.pending.get(reader.id);
    if (pending) {
      this.clearTimer(pending.timer);
      this.pending.delete(reader.id);
    }
  }

  private decide(reader: ReaderBinding, request: AccessRequest): Decision {
    const now = this.options.now();
    const { engine } = this.options;
    for (const event of engine.advance(now)) this.options.record(event);
    const decision = engine.present(request, now);
    for (const event of decision.events) this.options.record(event);
    const door = engine.policy.doors.get(reader.door);
    if (decision.result === 'grant') {
      reader.port.led('green', door?.strikeMs ?? 5000);
      reader.port.beep(GRANT_BEEP.count, GRANT_BEEP.onMs);
    } else {
      reader.port.led('red', DENY_LED_MS);
      reader.port.beep(DENY_BEEP.count, DENY_BEEP.onMs);
    }
    return decision;
  }
}
