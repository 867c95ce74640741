// Signed controller ↔ server messages: a broker in the middle can neither forge nor replay. A bad
// signature, a message on another controller's topic, an old sequence number or an unknown sender
// is rejected with a reason (for the alarm); any change to a signed message breaks it.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/contracts/canonical.ts';
import { Opener, Sealer, topicOwner } from '../../src/contracts/envelope.ts';

const ctl1 = generateKeyPairSync('ed25519');
const ctl2 = generateKeyPairSync('ed25519');
const keys = new Map([
  ['ctl-1', ctl1.publicKey],
  ['ctl-2', ctl2.publicKey],
]);
const topic = 'monban/tokyo/controllers/ctl-1/events';

describe('signed envelopes', () => {
  it('accepts a sealed message once, in order', () => {
    const sealer = new Sealer('ctl-1', ctl1.privateKey);
    const opener = new Opener((s) => keys.get(s));
    const first = sealer.seal(topic, { events: [{ seq: 1, type: 'access' }] }, 1000);
    const second = sealer.seal(topic, { events: [] }, 1001);
    expect(opener.open(first)).toMatchObject({ ok: true });
    expect(opener.open(second)).toMatchObject({ ok: true });
    expect(opener.open(first)).toEqual({ ok: false, reason: 'replayed', from: 'ctl-1' });
  });

  it('rejects a forged signature, a message on another controller topic, an unknown sender and garbage', () => {
    const opener = new Opener((s) => keys.get(s));
    // ctl-2 signs with its own key but claims to be ctl-1.
    const forged = { ...new Sealer('ctl-2', ctl2.privateKey).seal(topic, { x: 1 }, 1), from: 'ctl-1' };
    expect(opener.open(forged)).toMatchObject({ ok: false, reason: 'bad_signature' });
    // ctl-2, correctly signed, publishing on ctl-1's topic.
    expect(opener.open(new Sealer('ctl-2', ctl2.privateKey).seal(topic, { x: 1 }, 1))).toMatchObject({
      ok: false,
      reason: 'wrong_topic',
    });
    expect(
      opener.open(
        new Sealer('ctl-9', generateKeyPairSync('ed25519').privateKey).seal(
          'monban/tokyo/controllers/ctl-9/events',
          {},
          1,
        ),
      ),
    ).toMatchObject({
      ok: false,
      reason: 'unknown_sender',
    });
    expect(opener.open({ hello: 'world' })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('keeps rejecting replays across a restart when the last sequence is restored', () => {
    const sealer = new Sealer('ctl-1', ctl1.privateKey);
    const old = sealer.seal(topic, {}, 1);
    const restarted = new Opener((s) => keys.get(s));
    restarted.remember('ctl-1', old.seq);
    expect(restarted.open(old)).toMatchObject({ ok: false, reason: 'replayed' });
    expect(restarted.open(sealer.seal(topic, {}, 2))).toMatchObject({ ok: true });
  });

  it('breaks on any change to any signed field', () => {
    const sealer = new Sealer('ctl-1', ctl1.privateKey, 100);
    fc.assert(
      fc.property(
        fc.constantFrom('topic', 'seq', 'sentAt', 'body'),
        fc.integer({ min: 1, max: 1000 }),
        (field, n) => {
          const sealed = sealer.seal(topic, { door: 'D1', result: 'grant' }, 5000);
          const changed = {
            ...sealed,
            ...(field === 'topic' && { topic: `${topic}/x` }),
            ...(field === 'seq' && { seq: sealed.seq + n }),
            ...(field === 'sentAt' && { sentAt: sealed.sentAt + n }),
            ...(field === 'body' && { body: { door: 'D1', result: 'deny' } }),
          };
          expect(new Opener((s) => keys.get(s)).open(changed)).toMatchObject({ ok: false });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('names topic owners and signs canonical JSON', () => {
    expect(topicOwner('monban/tokyo/controllers/ctl-7/events')).toBe('ctl-7');
    expect(topicOwner('monban/tokyo/server/commands/ctl-7')).toBe('server');
    expect(topicOwner('other/topic')).toBeUndefined();
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}');
  });
});
