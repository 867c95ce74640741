// Fails any test file that leaves timers, sockets or servers running after its last test:
// a leaked handle is a bug (a door that never relocks, a link that never closes).
import { afterAll, beforeAll } from 'vitest';

const WATCHED = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPSocketWrap',
  'TCPServerWrap',
  'PipeWrap',
  'TTYWrap',
  'UDPWrap',
  'FSWatcher',
  'ProcessWrap',
]);
let before: Map<string, number>;

function countHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

beforeAll(() => {
  before = countHandles();
});

afterAll(async () => {
  // Let close callbacks that were already scheduled run before judging.
  await new Promise((resolve) => setImmediate(resolve));
  const after = countHandles();
  const leaked: string[] = [];
  for (const [kind, n] of after) {
    const extra = n - (before.get(kind) ?? 0);
    if (extra > 0) leaked.push(`${extra} ${kind}`);
  }
  if (leaked.length > 0) throw new Error(`test file left handles open: ${leaked.join(', ')}`);
});
