// Rule: a push-stream client that reconnects with Last-Event-ID gets exactly the events it missed
// when the id is one this hub gave out and they are all still kept; an id from another server
// instance (or from before a restart) replays nothing — no other instance's numbering is mistaken
// for ours — and says it cannot resume, so the client reloads instead of trusting a silent gap.
import { describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { LIVE_ID_SPAN, type LiveEvent, LiveHub, randomIdBase } from '../../../src/server/live/hub.ts';

const grant = (seq: number, person = 'alice'): ControllerEvent => ({
  seq,
  at: 1_800_000_000_000 + seq,
  type: 'access',
  door: 'D1',
  person,
  detail: { result: 'grant' },
});

function collect(hub: LiveHub, after?: number) {
  const seen: LiveEvent[] = [];
  const unsubscribe = hub.subscribe((e) => seen.push(e), after);
  return { seen, unsubscribe };
}

describe('live hub ids and Last-Event-ID', () => {
  it('numbers each hub from a random multiple of 2^32, the whole span a safe integer', () => {
    const bases = new Set(Array.from({ length: 50 }, () => randomIdBase()));
    expect(bases.size).toBeGreaterThan(45);
    for (const base of bases) {
      expect(base % LIVE_ID_SPAN).toBe(0);
      expect(base).toBeGreaterThan(0);
      expect(Number.isSafeInteger(base + LIVE_ID_SPAN - 1)).toBe(true);
    }
    const hub = new LiveHub();
    const { seen } = collect(hub);
    hub.ingested('ctl-1', [grant(1), grant(2)]);
    expect(seen.map((e) => e.id)).toEqual([hub.idBase + 1, hub.idBase + 2]);
  });

  it('replays exactly what a client of this hub missed', () => {
    const hub = new LiveHub({ idBase: 7 * LIVE_ID_SPAN });
    const first = collect(hub);
    hub.ingested('ctl-1', [grant(1), grant(2), grant(3)]);
    const lastSeen = first.seen[0]!.id;
    first.unsubscribe();
    expect(hub.resumes(lastSeen)).toBe(true);
    const again = collect(hub, lastSeen);
    expect(again.seen.map((e) => e.id)).toEqual([lastSeen + 1, lastSeen + 2]);
    hub.ingested('ctl-1', [grant(4)]);
    expect(again.seen.map((e) => e.id)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);
    // Up to date: nothing to replay, and resumable.
    expect(hub.resumes(lastSeen + 3)).toBe(true);
    expect(collect(hub, lastSeen + 3).seen).toEqual([]);
  });

  it('starts a client with another instance’s id fresh: no replay, not resumable', () => {
    const a = new LiveHub({ idBase: 3 * LIVE_ID_SPAN });
    const b = new LiveHub({ idBase: 9 * LIVE_ID_SPAN });
    const onA = collect(a);
    a.ingested('ctl-1', [grant(1), grant(2)]);
    b.ingested('ctl-2', [grant(1, 'bob'), grant(2, 'bob'), grant(3, 'bob')]);
    const idFromA = onA.seen.at(-1)!.id;
    expect(b.resumes(idFromA)).toBe(false);
    const onB = collect(b, idFromA);
    expect(onB.seen).toEqual([]);
    b.ingested('ctl-2', [grant(4, 'bob')]);
    expect(onB.seen.map((e) => [e.id, e.personId])).toEqual([[9 * LIVE_ID_SPAN + 4, 'bob']]);
    // The other way round, and an id far below either hub's (a small id from a hub numbered from 0).
    expect(a.resumes(onB.seen[0]!.id)).toBe(false);
    expect(collect(a, onB.seen[0]!.id).seen).toEqual([]);
    expect(a.resumes(1)).toBe(false);
    expect(collect(a, 1).seen).toEqual([]);
  });

  it('starts a client fresh after a restart (a new hub), even with the same events coming in', () => {
    const before = new LiveHub({ idBase: 5 * LIVE_ID_SPAN });
    const client = collect(before);
    before.ingested('ctl-1', [grant(1), grant(2)]);
    const restarted = new LiveHub({ idBase: 6 * LIVE_ID_SPAN });
    restarted.ingested('ctl-1', [grant(3)]);
    const lastSeen = client.seen.at(-1)!.id;
    expect(restarted.resumes(lastSeen)).toBe(false);
    expect(collect(restarted, lastSeen).seen).toEqual([]);
  });

  it('replays what it still keeps of a long absence, but does not call it resumable', () => {
    const hub = new LiveHub({ idBase: 2 * LIVE_ID_SPAN });
    const client = collect(hub);
    hub.ingested('ctl-1', [grant(1)]);
    const lastSeen = client.seen[0]!.id;
    client.unsubscribe();
    hub.ingested(
      'ctl-1',
      Array.from({ length: 1_200 }, (_, i) => grant(i + 2)),
    );
    expect(hub.resumes(lastSeen)).toBe(false);
    const back = collect(hub, lastSeen);
    expect(back.seen).toHaveLength(1_000);
    expect(back.seen.at(-1)!.id).toBe(lastSeen + 1_200);
    // A client that missed only what is kept resumes.
    expect(hub.resumes(back.seen[0]!.id - 1)).toBe(true);
  });

  it('numbers relayed events in its own sequence and does not forward them again', () => {
    const hub = new LiveHub({ idBase: 4 * LIVE_ID_SPAN });
    const forwarded: number[] = [];
    hub.forwardTo({ events: (events) => forwarded.push(events.length), report: () => {} });
    const client = collect(hub);
    hub.ingested('ctl-1', [grant(1), { ...grant(2), type: 'reader' }]);
    hub.relayed([
      {
        kind: 'door',
        at: 1_800_000_000_100,
        controllerId: 'ctl-9',
        door: 'D9',
        area: null,
        personId: null,
        detail: { state: 'open' },
      },
    ]);
    expect(forwarded).toEqual([1]);
    expect(client.seen.map((e) => [e.id - hub.idBase, e.kind, e.controllerId])).toEqual([
      [1, 'access', 'ctl-1'],
      [2, 'door', 'ctl-9'],
    ]);
    expect(hub.resumes(hub.idBase + 1)).toBe(true);
  });
});
