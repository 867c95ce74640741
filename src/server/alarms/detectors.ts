// Detectors for the server's own supervision (R-SEC-5). Each is a small state machine fed with
// observations and the time, so tests drive them without sleeping; none stores secrets.

/** Counts events in a sliding window; reports once when the count reaches the threshold. */
export class BurstWindow {
  private readonly times: number[] = [];
  private firedAt: number | undefined;

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  /** Records one event; true for the event that makes a burst (then quiet until the window clears). */
  record(now: number): boolean {
    this.times.push(now);
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    if (this.firedAt !== undefined && now - this.firedAt < this.windowMs) return false;
    if (this.times.length >= this.threshold) {
      this.firedAt = now;
      return true;
    }
    return false;
  }

  get count(): number {
    return this.times.length;
  }
}

/** One burst window per key (e.g. per operator), forgetting keys that went quiet. */
export class KeyedBursts {
  private readonly windows = new Map<string, { window: BurstWindow; last: number }>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  record(key: string, now: number): boolean {
    for (const [k, entry] of this.windows) if (now - entry.last > this.windowMs) this.windows.delete(k);
    let entry = this.windows.get(key);
    if (!entry) {
      entry = { window: new BurstWindow(this.threshold, this.windowMs), last: now };
      this.windows.set(key, entry);
    }
    entry.last = now;
    return entry.window.record(now);
  }
}

export interface ClockSample {
  /** wall clock, ms since the epoch (Date.now()) */
  wallMs: number;
  /** monotonic clock, ms (performance.now()) */
  monoMs: number;
}

/**
 * A large change of the server clock: between two samples the wall clock moved by a different amount
 * than the monotonic clock. NTP slews by milliseconds; a jump of a minute is someone setting the
 * clock (to replay schedules or shift log times) or a broken time source.
 */
export class ClockJumpDetector {
  private last: ClockSample | undefined;

  constructor(private readonly thresholdMs: number = 60_000) {}

  /** The jump in ms (wall minus monotonic, positive = clock set forward), or undefined when in step. */
  sample(sample: ClockSample): number | undefined {
    const previous = this.last;
    this.last = sample;
    if (!previous) return undefined;
    const jump = sample.wallMs - previous.wallMs - (sample.monoMs - previous.monoMs);
    return Math.abs(jump) >= this.thresholdMs ? jump : undefined;
  }
}

/** At most `limit` events per key in a sliding window: a per-address rate limit. */
export class SlidingLimit {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records an attempt; false when the key is over its limit (the attempt is still counted). */
  allow(key: string, now: number): boolean {
    if (this.events.size > 10_000)
      for (const [k, times] of this.events)
        if ((times.at(-1) ?? 0) <= now - this.windowMs) this.events.delete(k);
    const times = (this.events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    times.push(now);
    this.events.set(key, times.slice(-(this.limit + 1)));
    return times.length <= this.limit;
  }
}
