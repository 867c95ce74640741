// Signed controller ↔ server messages: a broker in the middle can neither forge nor replay. A bad
// signature, a message on another controller's topic, an old sequence number or an unknown sender
// is rejected with a reason (for the alarm); an unchanged resend (MQTT QoS 1) is a duplicate, once;
// any change to a signed message breaks it; a block of sequences is stored before it is used.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/contracts/canonical.ts';
import { Opener, SEQUENCE_BLOCK, Sealer, topicOwner } from '../../src/contracts/envelope.ts';

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
    // QoS 1 resends a message unchanged once (its acknowledgement lost with the connection): a
    // duplicate, not an attack; any copy after that is a replay.
    expect(opener.open(first)).toEqual({ ok: false, reason: 'duplicate', from: 'ctl-1' });
    expect(opener.open(first)).toEqual({ ok: false, reason: 'replayed', from: 'ctl-1' });
    expect(opener.open(second)).toEqual({ ok: false, reason: 'duplicate', from: 'ctl-1' });
  });

  it('takes an old sequence with another content, or one not among the last accepted, for a replay', () => {
    const sealer = new Sealer('ctl-1', ctl1.privateKey);
    const opener = new Opener((s) => keys.get(s));
    const first = sealer.seal(topic, { n: 0 }, 1000);
    expect(opener.open(first)).toMatchObject({ ok: true });
    // The same sequence signed again over another body (the sender's key, a different message).
    const other = new Sealer('ctl-1', ctl1.privateKey, first.seq - 1).seal(topic, { n: 1 }, 1000);
    expect(opener.open(other)).toMatchObject({ ok: false, reason: 'replayed' });
    for (let i = 0; i < 100; i++) expect(opener.open(sealer.seal(topic, { i }, 1001 + i)).ok).toBe(true);
    expect(opener.open(first)).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('stores a block of sequences before it uses one: a block it could not store is not used', () => {
    const stored: number[] = [];
    let diskFull = true;
    const sealer = new Sealer('ctl-1', ctl1.privateKey, 500, (upTo) => {
      if (diskFull) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      stored.push(upTo);
    });
    expect(() => sealer.seal(topic, {}, 1)).toThrow('ENOSPC');
    expect(() => sealer.seal(topic, {}, 2)).toThrow('ENOSPC'); // still nothing stored: still nothing used
    expect(sealer.lastSeq).toBe(500);
    diskFull = false;
    expect(sealer.seal(topic, {}, 3).seq).toBe(501);
    expect(stored).toEqual([500 + SEQUENCE_BLOCK]);
    expect(sealer.seal(topic, {}, 4).seq).toBe(502);
    expect(stored).toHaveLength(1);
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

  it('canonical JSON: sorted keys, no whitespace, the same value back, for any JSON value', () => {
    // The reference: the plain recursive form (keys sorted by code unit, at every level).
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(',')}]`
        : v !== null && typeof v === 'object'
          ? `{${Object.keys(v)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
              .join(',')}}`
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value as never);
        expect(text).toBe(reference(value));
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it('checks a received message as open does, with its signature checked in the pool, and admits in order', async () => {
    const sealer = new Sealer('ctl-1', ctl1.privateKey);
    const opener = new Opener((s) => keys.get(s));
    const first = JSON.stringify(sealer.seal(topic, { events: [{ seq: 1, type: 'access' }] }, 1000));
    // Sealed in the pool, as text made at the call: a body changed after it does not change it.
    const body = { n: 2 };
    const sealing = sealer.sealInPool(topic, body, 1001);
    body.n = 99;
    const second = await sealing;
    // Verified in any order, admitted in arrival order: both accepted, then the resend a duplicate.
    const [v1, v2] = await Promise.all([opener.verifyReceived(first), opener.verifyReceived(second)]);
    expect(opener.admit(v1)).toMatchObject({ ok: true, envelope: { seq: JSON.parse(first).seq } });
    expect(opener.admit(v2)).toMatchObject({ ok: true, envelope: { body: { n: 2 } } });
    expect(opener.admit(await opener.verifyReceived(first))).toEqual({
      ok: false,
      reason: 'duplicate',
      from: 'ctl-1',
    });
    // Admitted out of order, the earlier one is a replay: the caller must keep arrival order.
    const [a, b] = [sealer.seal(topic, {}, 1), sealer.seal(topic, {}, 2)].map((e) => JSON.stringify(e));
    expect(opener.admit(await opener.verifyReceived(b!)).ok).toBe(true);
    expect(opener.admit(await opener.verifyReceived(a!))).toMatchObject({ ok: false, reason: 'replayed' });
    // What open refuses, this refuses for the same reason.
    const forged = JSON.stringify({ ...JSON.parse(second), body: { n: 3 } });
    expect(await opener.verifyReceived(forged)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await opener.verifyReceived('{not json')).toEqual({ ok: false, reason: 'malformed' });
    expect(await opener.verifyReceived('{"hello":"world"}')).toEqual({ ok: false, reason: 'malformed' });
    const huge = first.replace('"seq":1,', '"seq":1e400,');
    expect(await opener.verifyReceived(huge)).toMatchObject({ ok: false, reason: 'malformed' });
    const stranger = new Sealer('ctl-9', generateKeyPairSync('ed25519').privateKey);
    expect(
      await opener.verifyReceived(JSON.stringify(stranger.seal('monban/tokyo/controllers/ctl-9/x', {}, 1))),
    ).toMatchObject({ ok: false, reason: 'unknown_sender' });
    const wrongTopic = new Sealer('ctl-2', ctl2.privateKey).seal(topic, { x: 1 }, 1);
    expect(opener.admit(await opener.verifyReceived(JSON.stringify(wrongTopic)))).toMatchObject({
      ok: false,
      reason: 'wrong_topic',
    });
  });
});
