// Feeds reader input (cards, keypad, fingerprints) into the controller's decisions and shows the
// outcome on the reader's LED and buzzer; turns reader link loss and tamper into alarms. Every
// decision goes through the agent (`DoorDecider`), which hashes the credential with the site key
// exactly as the server does for snapshots (contracts/credential-key.ts) and journals the result:
// one path for every reader and the sim driver. The only timer is the PIN-entry window.

import type { Decision } from '../core/decide.ts';
import type { DoorMode } from '../core/model.ts';
import type { Side } from '../core/policy.ts';
import type { DriverEvent, Presentation } from './agent.ts';
import type { CardRead, ReaderPort } from './reader-port.ts';

/** The legacy reads a door may accept (controller configuration `allowLegacy`). */
export type LegacyClass = 'wiegand' | 'uid' | 'plaintext';

export interface ReaderBinding {
  id: string;
  door: string;
  side: Side;
  port: ReaderPort;
  /** legacy reads accepted at this reader's door; anything else insecure is refused */
  allowLegacy?: readonly LegacyClass[];
  /** a fingerprint reader: at card+biometric doors its match is the second factor */
  biometric?: { minScore: number; timeoutMs: number };
}

/** What the loop needs from the controller agent. */
export interface DoorDecider {
  /** decides with use counts shared across the site (ControllerAgent.presentShared) */
  presentShared(p: Presentation): Decision | Promise<Decision>;
  doorMode(door: string): DoorMode | undefined;
  report(event: DriverEvent): void;
}

export interface ReaderLoopOptions {
  decider: DoorDecider;
  now: () => number;
  /** how long a card waits for its PIN at card+PIN doors */
  pinWindowMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface PendingCard {
  read: CardRead;
  keys: string;
  timer: unknown;
}

const GRANT_BEEP = { count: 1, onMs: 100 };
const DENY_BEEP = { count: 3, onMs: 150 };
const DENY_LED_MS = 2000;
const PENDING_LED_MS = 5000;

/** Which allowance a legacy read needs. */
export function legacyClass(insecure: string): LegacyClass {
  if (insecure.startsWith('wiegand')) return 'wiegand';
  if (insecure === 'uid') return 'uid';
  return 'plaintext';
}

export class ReaderLoop {
  private readonly pending = new Map<string, PendingCard>();
  private readonly pinOnly = new Map<string, string>();
  private readonly pinWindowMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private stopped = false;

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
      reader.port.on('tamper', (active) => this.onTamper(reader, active));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const pending of this.pending.values()) this.clearTimer(pending.timer);
    this.pending.clear();
  }

  private get decider(): DoorDecider {
    return this.options.decider;
  }

  private onCard(reader: ReaderBinding, read: CardRead): void {
    if (this.stopped) return;
    const now = this.options.now();
    if (read.insecure !== undefined) {
      // Legacy reads pass only where the door explicitly allows them, and are flagged either way.
      const accepted = (reader.allowLegacy ?? []).includes(legacyClass(read.insecure));
      this.decider.report({
        type: 'insecure_credential',
        at: now,
        reader: reader.id,
        door: reader.door,
        format: read.insecure,
        accepted,
      });
      if (!accepted) {
        this.cancelPending(reader);
        this.show(reader, 'deny');
        return;
      }
    }
    this.cancelPending(reader);
    const mode = this.decider.doorMode(reader.door);
    if (mode === 'card+pin') {
      // Card+PIN: hold the card until the PIN is entered with `#`, or the window closes.
      const timer = this.setTimer(() => {
        this.pending.delete(reader.id);
        this.decide(reader, this.card(reader, read));
      }, this.pinWindowMs);
      this.pending.set(reader.id, { read, keys: '', timer });
      reader.port.led('amber', this.pinWindowMs);
      return;
    }
    if (mode === 'card+biometric' && reader.biometric && reader.port.biometricMatch) {
      const { minScore, timeoutMs } = reader.biometric;
      reader.port.led('amber', timeoutMs, true);
      reader.port.biometricMatch(timeoutMs).then(
        (score) => {
          if (!this.stopped)
            this.decide(reader, {
              ...this.card(reader, read),
              biometric: score !== undefined && score >= minScore,
            });
        },
        () => {
          if (!this.stopped) this.decide(reader, this.card(reader, read));
        },
      );
      return;
    }
    this.decide(reader, this.card(reader, read));
  }

  private card(reader: ReaderBinding, read: CardRead): Presentation {
    return {
      door: reader.door,
      side: reader.side,
      card: read.credentialId,
      ...(read.insecure !== undefined && { insecure: read.insecure }),
    };
  }

  private onKeys(reader: ReaderBinding, keys: string): void {
    if (this.stopped) return;
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
          this.decide(reader, { ...this.card(reader, pending.read), pin: pending.keys });
        } else {
          const digits = this.pinOnly.get(reader.id) ?? '';
          this.pinOnly.delete(reader.id);
          if (digits.length > 0) this.decide(reader, { door: reader.door, side: reader.side, pin: digits });
        }
        continue;
      }
      if (!/^[0-9]$/.test(key)) continue;
      if (pending) pending.keys = `${pending.keys}${key}`.slice(-12);
      else this.pinOnly.set(reader.id, `${this.pinOnly.get(reader.id) ?? ''}${key}`.slice(-12));
    }
  }

  private onLink(reader: ReaderBinding, online: boolean): void {
    const at = this.options.now();
    // One event each way per outage; the offline one is an alarm at the server.
    this.decider.report({
      type: 'reader',
      at,
      reader: reader.id,
      door: reader.door,
      state: online ? 'online' : 'offline',
    });
    if (!online)
      this.decider.report({
        type: 'alarm',
        at,
        alarm: 'comms_lost',
        door: reader.door,
        detail: `reader ${reader.id} offline`,
      });
  }

  private onTamper(reader: ReaderBinding, active: boolean): void {
    const at = this.options.now();
    this.decider.report({
      type: 'reader',
      at,
      reader: reader.id,
      door: reader.door,
      state: active ? 'tamper' : 'tamper-cleared',
    });
    if (active)
      this.decider.report({
        type: 'alarm',
        at,
        alarm: 'tamper',
        door: reader.door,
        detail: `reader ${reader.id} case opened`,
      });
  }

  private cancelPending(reader: ReaderBinding): void {
    const pending = this.pending.get(reader.id);
    if (pending) {
      this.clearTimer(pending.timer);
      this.pending.delete(reader.id);
    }
  }

  /** Decides and shows the outcome; a credential with a use limit waits for its site-wide claim. */
  private decide(reader: ReaderBinding, presentation: Presentation): void {
    const show = (decision: Decision) => {
      if (decision.result === 'grant') this.show(reader, 'grant');
      else if (decision.reason === 'two_person_pending') this.show(reader, 'pending');
      else this.show(reader, 'deny');
    };
    const decided = this.decider.presentShared(presentation);
    if (decided instanceof Promise) decided.then(show, () => this.show(reader, 'deny'));
    else show(decided);
  }

  /** Grant: green and one beep (a duress grant looks the same: the alarm is silent). */
  private show(reader: ReaderBinding, outcome: 'grant' | 'deny' | 'pending'): void {
    if (outcome === 'grant') {
      reader.port.led('green', 5000);
      reader.port.beep(GRANT_BEEP.count, GRANT_BEEP.onMs);
    } else if (outcome === 'pending') {
      // Two-person rule: this one counted; a second authorised person completes the pair.
      reader.port.led('amber', PENDING_LED_MS, true);
      reader.port.beep(2, 100);
    } else {
      reader.port.led('red', DENY_LED_MS);
      reader.port.beep(DENY_BEEP.count, DENY_BEEP.onMs);
    }
  }
}
