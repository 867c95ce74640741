// Long work on the server's one thread, in turns. A chain of awaits on promises that are already
// resolved (synchronous SQLite queries behind Kysely, loops over 100,000 people) never lets the
// event loop turn: health probes, the push stream and controllers' batches wait for the whole chain.
// `breathe()` gives the event loop one turn when this thread has gone TURN_MS without one from here;
// call it in long loops (every few hundred items) and before each query (storage/sqlite-driver.ts).
// A turn costs microseconds when nothing waits.

const TURN_MS = 10;
let lastTurn = performance.now();

export async function breathe(): Promise<void> {
  if (performance.now() - lastTurn < TURN_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

/** `fn` for each item in order, breathing every 256 items. */
export async function eachInTurns<T>(
  items: readonly T[],
  fn: (item: T, index: number) => void,
): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if ((i & 255) === 0) await breathe();
    fn(items[i]!, i);
  }
}

/** `items.map(fn)`, breathing every 256 items. */
export async function mapInTurns<T, R>(items: readonly T[], fn: (item: T) => R): Promise<R[]> {
  const out = new Array<R>(items.length);
  await eachInTurns(items, (item, i) => {
    out[i] = fn(item);
  });
  return out;
}
