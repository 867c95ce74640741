// The byte channel a CP or PD talks through, and its in-memory implementations: a loopback pair with
// optional line noise, and a line that delays bytes by their wire time at a given baud rate.

export interface Channel {
  send(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

export interface Noise {
  /** probability per byte of one flipped bit */
  flip?: number;
  /** probability per byte of losing it */
  drop?: number;
  /** probability per byte of a random byte inserted before it */
  insert?: number;
  /** uniform [0, 1) source, seeded in tests */
  random: () => number;
}

function applyNoise(bytes: Uint8Array, noise: Noise | undefined): Uint8Array {
  if (!noise) return bytes;
  const out: number[] = [];
  for (const byte of bytes) {
    if (noise.insert && noise.random() < noise.insert) out.push(Math.floor(noise.random() * 256));
    if (noise.drop && noise.random() < noise.drop) continue;
    out.push(noise.flip && noise.random() < noise.flip ? byte ^ (1 << Math.floor(noise.random() * 8)) : byte);
  }
  return Uint8Array.from(out);
}

class LoopbackEnd implements Channel {
  peer!: LoopbackEnd;
  private listeners: ((bytes: Uint8Array) => void)[] = [];
  private closed = false;

  constructor(private readonly noise: Noise | undefined) {}

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = applyNoise(bytes.slice(), this.noise);
    // Delivered on a microtask: no timer, and no re-entrancy into the sender.
    queueMicrotask(() => this.peer.deliver(copy));
  }

  deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const listener of this.listeners) listener(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners = [];
  }
}

/** Two connected in-memory channels; `noise` disturbs bytes sent from the first to the second and back. */
export function loopbackPair(noise?: Noise): [Channel, Channel] {
  const a = new LoopbackEnd(noise);
  const b = new LoopbackEnd(noise);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/**
 * A serial line simulated in memory: what is sent arrives when its last byte would have, 10 bits per
 * byte at `baud` (8N1), in order, one transmission after the other. Timers get close to the due
 * time and setImmediate finishes the wait, so delivery is accurate to well under a millisecond (a
 * bare setTimeout would add up to a millisecond of its own jitter to every measurement). close()
 * cancels everything pending.
 */
export function serialLinePair(baud: number): [Channel, Channel] {
  const byteMs = (10 * 1000) / baud;
  interface End extends Channel {
    deliver(bytes: Uint8Array): void;
    peer: End;
  }
  const make = (): End => {
    const listeners: ((bytes: Uint8Array) => void)[] = [];
    let lineFreeAt = 0;
    const timers = new Set<NodeJS.Timeout>();
    const immediates = new Set<NodeJS.Immediate>();
    let closed = false;
    const arriveAt = (due: number, bytes: Uint8Array) => {
      const finish = () => {
        if (closed) return;
        if (performance.now() >= due) {
          end.peer.deliver(bytes);
          return;
        }
        const immediate = setImmediate(() => {
          immediates.delete(immediate);
          finish();
        });
        immediates.add(immediate);
      };
      const coarse = due - performance.now() - 1.5;
      if (coarse <= 0) return finish();
      const timer = setTimeout(() => {
        timers.delete(timer);
        finish();
      }, coarse);
      timers.add(timer);
    };
    const end: End = {
      peer: undefined as unknown as End,
      deliver(bytes) {
        if (!closed) for (const l of listeners) l(bytes);
      },
      send(bytes) {
        if (closed) return;
        const start = Math.max(performance.now(), lineFreeAt);
        lineFreeAt = start + bytes.length * byteMs;
        arriveAt(lineFreeAt, bytes.slice());
      },
      onData(listener) {
        listeners.push(listener);
      },
      async close() {
        closed = true;
        for (const t of timers) clearTimeout(t);
        for (const i of immediates) clearImmediate(i);
        timers.clear();
        immediates.clear();
      },
    };
    return end;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
