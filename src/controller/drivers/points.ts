// Input points: a raw reading (a module's discrete input or analog register, a reader's input)
// becomes a logical state — active or not — and, for end-of-line supervised loops, a wiring state.
// A supervised loop has resistors at the far end, so the controller can tell four states apart:
//
//   value < shortedBelow            shorted   (someone bridged the wires)      → tamper
//   shortedBelow ≤ value < activeFrom  normal  (1 kΩ: door closed / not pressed)
//   activeFrom ≤ value < cutFrom    active    (2 kΩ: door open / pressed)
//   value ≥ cutFrom                 cut       (wire cut or disconnected)        → tamper
//
// While a loop is cut or shorted its logical state is kept as it was last known: a fault neither
// opens nor closes a door, it raises an alarm.

import { DEFAULT_SUPERVISION, type InputSource, type Supervision } from '../config/schema.ts';

export type LoopState = 'normal' | 'active' | 'cut' | 'shorted';

export function classifyLoop(value: number, s: Supervision): LoopState {
  if (value < s.shortedBelow) return 'shorted';
  if (value < s.activeFrom) return 'normal';
  if (value < s.cutFrom) return 'active';
  return 'cut';
}

export interface PointChange {
  /** the logical state changed (after `invert`) */
  active?: boolean;
  /** the wiring state of a supervised loop changed */
  wiring?: LoopState;
}

/** One input's state; feed it readings, it says what changed. */
export class InputPoint {
  private active: boolean | undefined;
  private wiring: LoopState | undefined;
  private readonly supervision: Supervision | undefined;

  constructor(readonly source: InputSource) {
    this.supervision =
      source.supervised === undefined
        ? undefined
        : source.supervised === true
          ? DEFAULT_SUPERVISION
          : source.supervised;
  }

  /** A discrete reading (1 = active unless inverted). */
  discrete(value: boolean): PointChange {
    const active = this.source.invert ? !value : value;
    if (active === this.active) return {};
    const first = this.active === undefined;
    this.active = active;
    // The first reading is the baseline: only an active input at start is news.
    return first && !active ? {} : { active };
  }

  /** An analog reading of a supervised loop. */
  analog(value: number): PointChange {
    const wiring = classifyLoop(value, this.supervision ?? DEFAULT_SUPERVISION);
    const change: PointChange = {};
    const firstWiring = this.wiring === undefined;
    if (wiring !== this.wiring) {
      this.wiring = wiring;
      if (!(firstWiring && wiring === 'normal')) change.wiring = wiring;
    }
    if (wiring === 'normal' || wiring === 'active') {
      const active = (wiring === 'active') !== this.source.invert;
      if (active !== this.active) {
        const first = this.active === undefined;
        this.active = active;
        if (!(first && !active)) change.active = active;
      }
    }
    return change;
  }

  get isActive(): boolean {
    return this.active === true;
  }
}

/** A 16-bit people counter register: how many passed since the last reading (it wraps). */
export class CounterPoint {
  private last: number | undefined;

  reading(value: number): number {
    const previous = this.last;
    this.last = value & 0xffff;
    if (previous === undefined) return 0;
    return (this.last - previous + 0x10000) & 0xffff;
  }
}
