// Rule: the push stream's clients that see every event share one subscription and one encoded
// write per turn (Broadcast), and still each gets every event from its start — what it missed after
// a resumable Last-Event-ID, or from the moment it joined — once, in order, with no gap, whenever it
// joins (even between an event being numbered and the turn's write) and whoever else leaves.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { LIVE_ID_SPAN, LiveHub } from '../../../src/server/live/hub.ts';
import { Broadcast } from '../../../src/server/live/stream.ts';

const grant = (seq: number): ControllerEvent => ({
  seq,
  at: 1_800_000_000_000 + seq,
  type: 'access',
  door: 'D1',
  person: 'alice',
  detail: { result: 'grant' },
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A real writable stream that keeps what it was given, and the ids of the frames in it. */
function client() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const text = () => Buffer.concat(chunks).toString('utf8');
  const ids = () => [...text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return { sink, chunks, text, ids };
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + 1 + i);

describe('push stream broadcast to unscoped clients', () => {
  it('writes one turn as the same bytes to each client, and a late resume once', async () => {
    const hub = new LiveHub({ idBase: 4 * LIVE_ID_SPAN });
    const broadcast = new Broadcast(hub);
    const a = client();
    const b = client();
    const leaveA = broadcast.join(a.sink, undefined);
    const leaveB = broadcast.join(b.sink, undefined);
    hub.ingested('ctl-1', [grant(1), grant(2), grant(3)]);
    // Joins after the events were numbered but before the turn's write, resuming from the first.
    const c = client();
    const leaveC = broadcast.join(c.sink, hub.idBase + 1);
    await turn();
    expect(a.chunks).toHaveLength(1);
    expect(b.chunks).toHaveLength(1);
    expect(a.text()).toBe(b.text());
    expect(a.ids()).toEqual(range(hub.idBase, hub.idBase + 3));
    expect(c.ids()).toEqual([hub.idBase + 2, hub.idBase + 3]);
    // The last to leave ends the subscription: the hub has no listener left.
    leaveA();
    leaveB();
    leaveC();
    expect(hub.subscribers).toBe(0);
  });

  it('gives every client each event from its start once, in order, whatever joins and leaves', async () => {
    const command = fc.oneof(
      fc.record({ ingest: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ join: fc.oneof(fc.constant('fresh'), fc.nat(30), fc.constant('foreign')) }),
      fc.record({ leave: fc.nat(10) }),
      fc.constant('turn' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const hub = new LiveHub({ idBase: 2 * LIVE_ID_SPAN });
        const broadcast = new Broadcast(hub);
        let seq = 0;
        const clients: {
          c: ReturnType<typeof client>;
          start: number;
          leave: () => void;
          /** the last id it has been given: at its join (missed events are written at once), then each turn's */
          given: number;
          left?: number;
        }[] = [];
        for (const cmd of commands) {
          if (cmd === 'turn') {
            await turn();
            for (const x of clients) x.given = hub.lastId;
          } else if ('ingest' in cmd) {
            hub.ingested(
              'ctl-1',
              Array.from({ length: cmd.ingest }, () => grant(++seq)),
            );
          } else if ('join' in cmd) {
            const after =
              cmd.join === 'fresh'
                ? undefined
                : cmd.join === 'foreign'
                  ? 9 * LIVE_ID_SPAN + 1
                  : hub.idBase + Math.min(cmd.join, seq);
            const start = after !== undefined && hub.resumes(after) ? after : hub.lastId;
            const c = client();
            clients.push({ c, start, given: hub.lastId, leave: broadcast.join(c.sink, after) });
          } else {
            const one = clients.filter((x) => x.left === undefined)[cmd.leave];
            if (one) {
              one.leave();
              one.left = one.given;
            }
          }
        }
        await turn();
        for (const { c, start, left } of clients) expect(c.ids()).toEqual(range(start, left ?? hub.lastId));
      }),
      { numRuns: 200 },
    );
  });
});
