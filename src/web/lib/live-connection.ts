// The push-stream connection's life, apart from React and the query cache so it can be tested with
// a fake EventSource and fake timers: open, deliver events by kind, and on loss let the browser retry
// once (it sends Last-Event-ID, so the server replays what it still keeps), then reopen with a
// growing delay (1 s, 2 s, 4 s … 30 s). After a loss, the next open asks for a resync (events may
// have been missed beyond what the server keeps).

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** The part of EventSource used here. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: never, ev: never) => unknown) | null;
  onerror: ((this: never, ev: never) => unknown) | null;
  addEventListener(type: string, listener: () => void): void;
  close(): void;
}

export const CONNECTING = 0;
export const MAX_BACKOFF_MS = 30_000;

/** The delay before the n-th reopen in a row (n ≥ 1). */
export function backoff(n: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(Math.max(n, 1) - 1, 5));
}

export function connectLive(options: {
  open: () => EventSourceLike;
  kinds: readonly string[];
  onEvent: (kind: string) => void;
  onState: (state: StreamState) => void;
  onResync: () => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}): () => void {
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let source: EventSourceLike | undefined;
  let retry: unknown;
  let failures = 0;
  let reopens = 0;
  let lost = false;
  let stopped = false;

  const open = () => {
    const s = options.open();
    source = s;
    s.onopen = () => {
      failures = 0;
      reopens = 0;
      options.onState('live');
      if (lost) options.onResync();
      lost = false;
    };
    for (const kind of options.kinds) s.addEventListener(kind, () => options.onEvent(kind));
    s.onerror = () => {
      if (stopped || s !== source) return;
      lost = true;
      options.onState('reconnecting');
      failures += 1;
      // The browser's own retry carries Last-Event-ID: let it try once.
      if (s.readyState === CONNECTING && failures === 1) return;
      s.close();
      reopens += 1;
      retry = setTimer(() => {
        retry = undefined;
        if (!stopped) open();
      }, backoff(reopens));
    };
  };
  options.onState('connecting');
  open();
  return () => {
    stopped = true;
    source?.close();
    if (retry !== undefined) clearTimer(retry);
  };
}
