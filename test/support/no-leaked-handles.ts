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
  // Handles that are already closing (a child process that exited, a socket whose close callback is
  // scheduled) get up to half a second to go; anything still open then was left open.
  let leaked: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 0 : 25));
    leaked = [];
    for (const [kind, n] of countHandles()) {
      const extra = n - (before.get(kind) ?? 0);
      // The wait itself holds one Timeout.
      if (extra > (kind === 'Timeout' ? 1 : 0)) leaked.push(`${extra} ${kind}`);
    }
    if (leaked.length === 0) return;
  }
  throw new Error(`test file left handles open: ${leaked.join(', ')}`);
});
