// Secure Channel rules, each attack stated first in plain words. A wrong key never opens a session;
// the published default key works only in install mode; the CP refuses a CCRYPT that answers a
// different key selector and an RMAC-I that does not match; a tampered MAC, a replayed frame or a
// plaintext command inside a session is refused and ends the session; KEYSET only travels inside
// one; and no warning or error ever carries key material.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../src/osdp/bytes.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { crc16 } from '../../src/osdp/crc.ts';
import { mutate, reframe, xorshift } from '../../src/osdp/fuzz.ts';
import { CMD, type Command, NAK, REPLY } from '../../src/osdp/messages.ts';
import { buildPacket, parsePacket } from '../../src/osdp/phy.ts';
import { deriveSessionKeys, SCBK_D, serverCryptogram } from '../../src/osdp/sc.ts';
import { SecureSession } from '../../src/osdp/secure-session.ts';
import { KEY_A, KEY_B, makePd, rig, seededRandom } from './support.ts';

/** Makes the CRC valid again after a test edits a frame (the attacker controls the line). */
function fixCrc(frame: Uint8Array): Uint8Array {
  const crc = crc16(frame, 0, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}

/** Replies with the mark byte stripped, so tests can index packet fields. */
const body = (reply: Uint8Array) => (reply[0] === 0xff ? reply.subarray(1) : reply);

describe('keys', () => {
  it('a CP with the wrong key never comes online, and says why without key material', async () => {
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_B }, pd);
    await r.pump(3000);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(r.log).toContain('warning 1: client cryptogram does not match: wrong key or impostor PD');
    const text = r.log.join('\n');
    for (const key of [KEY_A, KEY_B]) expect(text).not.toContain(hex(key).slice(0, 11));
    await r.close();
  });

  it('a PD rejects a CP that does not hold its key (server cryptogram check)', () => {
    const rejects: string[] = [];
    const pd = makePd({ scbk: KEY_A, onReject: (w) => rejects.push(w), mark: false });
    const rndA = fromHex('0102030405060708');
    const ccrypt = parsePacket(
      pd.receive(
        buildPacket({
          address: 1,
          reply: false,
          sequence: 0,
          useCrc: true,
          scb: { type: 0x11, data: Uint8Array.of(1) },
          code: CMD.CHLNG,
          data: rndA,
        }),
        0,
      )!,
    );
    expect(ccrypt.code).toBe(REPLY.CCRYPT);
    // An impostor CP guesses: it cannot compute the server cryptogram without the key.
    const wrong = deriveSessionKeys(KEY_B, rndA);
    const scrypt = buildPacket({
      address: 1,
      reply: false,
      sequence: 1,
      useCrc: true,
      scb: { type: 0x13, data: Uint8Array.of(1) },
      code: CMD.SCRYPT,
      data: serverCryptogram(wrong, rndA, ccrypt.data.subarray(8, 16)),
    });
    const reply = parsePacket(pd.receive(scrypt, 1)!);
    expect(reply).toMatchObject({ code: REPLY.NAK, data: Uint8Array.of(NAK.SC_UNSUPPORTED) });
    expect(pd.secure).toBe(false);
    expect(rejects).toContain('server cryptogram does not match: wrong key');
  });

  it('the default key SCBK-D is refused outside install mode', async () => {
    const rejects: string[] = [];
    const pd = makePd({ scbk: KEY_A, onReject: (why) => rejects.push(why) });
    const r = rig({ install: { newScbk: KEY_B } }, pd);
    await r.pump(400);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(rejects).toContain('default key refused outside install mode');
    expect(r.log).toContain('warning 1: NAK 5');
    await r.close();
  });

  it('SCBK-D can never be configured as an installed key, on either side', () => {
    const random = seededRandom(1).bytes;
    expect(() => new ControlPanel({ pds: [{ address: 1, scbk: SCBK_D }], random })).toThrow(/SCBK-D/);
    expect(() => new ControlPanel({ pds: [{ address: 1, install: { newScbk: SCBK_D } }], random })).toThrow(
      /SCBK-D/,
    );
    expect(() => makePd({ scbk: SCBK_D })).toThrow(/SCBK-D/);
  });

  it('a key is required unless plaintext is allowed explicitly', () => {
    expect(() => new ControlPanel({ pds: [{ address: 1 }], random: seededRandom(1).bytes })).toThrow(
      /key \(scbk\) is required/,
    );
  });

  it('KEYSET is refused outside a secure session, and SCBK-D is refused as a new key', async () => {
    const rejects: string[] = [];
    const pd = makePd({ installMode: true, onReject: (w) => rejects.push(w), mark: false });
    const keyset = (key: Uint8Array, sequence: number) =>
      buildPacket({
        address: 1,
        reply: false,
        sequence,
        useCrc: true,
        code: CMD.KEYSET,
        data: Uint8Array.of(1, 16, ...key),
      });
    const reply = parsePacket(pd.receive(keyset(KEY_B, 0), 0)!);
    expect(reply).toMatchObject({ code: REPLY.NAK, data: Uint8Array.of(NAK.SC_CONDITIONS) });
    expect(rejects).toContain('KEYSET refused outside a secure session');

    const r = rig({ install: { newScbk: KEY_B } }, makePd({ installMode: true }));
    await r.pump(200);
    await expect(r.cp.keyset(1, SCBK_D)).rejects.toThrow(/SCBK-D/);
    await r.close();
  });
});

describe('handshake', () => {
  it('the CP rejects a CCRYPT whose key selector differs from the one it asked for', async () => {
    const pd = makePd({ scbk: KEY_A });
    const original = pd.receive.bind(pd);
    // A PD (or a device in the middle) answering with the default-key selector when asked for SCBK.
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (!reply) return reply;
      const p = parsePacket(body(reply));
      if (p.scb?.type !== 0x12) return reply;
      return buildPacket({ ...p, scb: { type: 0x12, data: Uint8Array.of(0x00) } }, { mark: true });
    };
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(300);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(r.log).toContain('warning 1: key selector mismatch in CCRYPT');
    await r.close();
  });

  it('the CP checks RMAC-I and refuses a forged one', async () => {
    const pd = makePd({ scbk: KEY_A });
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (!reply) return reply;
      const p = parsePacket(body(reply));
      if (p.code !== REPLY.RMAC_I) return reply;
      const forged = p.data.slice();
      forged[0]! ^= 1;
      return buildPacket({ ...p, data: forged }, { mark: true });
    };
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(300);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(r.log).toContain('warning 1: RMAC-I does not match');
    await r.close();
  });

  it('the PD refuses a challenge sent with a checksum (Secure Channel needs CRC)', () => {
    const pd = makePd({ scbk: KEY_A, mark: false });
    const chlng = buildPacket({
      address: 1,
      reply: false,
      sequence: 0,
      useCrc: false,
      scb: { type: 0x11, data: Uint8Array.of(1) },
      code: CMD.CHLNG,
      data: new Uint8Array(8),
    });
    expect(parsePacket(pd.receive(chlng, 0)!)).toMatchObject({ code: REPLY.NAK });
  });
});

describe('an active attacker on the line', () => {
  it('rewrites replies and fixes their CRC: nothing forged is ever accepted, and the link recovers', async () => {
    // Unlike noise, these edits pass the check characters; only the MAC stands in the way.
    const random = xorshift(31);
    const pd = makePd({ scbk: KEY_A });
    const original = pd.receive.bind(pd);
    let attacking = false;
    let forged = 0;
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (!reply || !attacking || random() > 0.3) return reply;
      forged++;
      return reframe(mutate(body(reply), random));
    };
    const r = rig({ scbk: KEY_A }, pd);
    const cards: string[] = [];
    r.cp.on('card', (_a, c) => cards.push(hex(c.data)));
    await r.pump(100);
    attacking = true;
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const data = Uint8Array.of(0xc0, i);
      sent.push(hex(data));
      pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 16, data });
      await r.pump(200);
    }
    attacking = false;
    await r.pump(3000);
    expect(forged).toBeGreaterThan(10);
    // Every card seen is one the PD sent, at most once. Reads held in a reply the attacker broke
    // are lost with that session: the attacker can suppress, never forge.
    expect(cards.every((c) => sent.includes(c))).toBe(true);
    expect(new Set(cards).size).toBe(cards.length);
    expect(cards.length).toBeGreaterThan(20);
    expect(r.log.some((l) => l.includes('bad_mac'))).toBe(true);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });

  it('throws garbage replies at an online CP: it never throws and never accepts one', async () => {
    const random = xorshift(77);
    const pd = makePd({ scbk: KEY_A });
    const original = pd.receive.bind(pd);
    let garbage = false;
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (!garbage) return reply;
      const noise = Uint8Array.from({ length: 1 + Math.floor(random() * 60) }, () =>
        Math.floor(random() * 256),
      );
      // Random bytes, sometimes dressed as a reply frame from this PD with a valid CRC.
      if (random() < 0.5 && noise.length >= 8) {
        noise[1] = 0x81;
        noise[4] = (noise[4]! & 0x0b) | 0x04;
        return reframe(noise);
      }
      return noise;
    };
    const r = rig({ scbk: KEY_A }, pd);
    const events: unknown[] = [];
    r.cp.on('card', (_a, card) => events.push(card));
    r.cp.on('keypad', (_a, keypad) => events.push(keypad));
    r.cp.on('status', (_a, status) => events.push(status));
    r.cp.on('formattedCard', (_a, card) => events.push(card));
    await r.pump(100);
    garbage = true;
    await r.pump(20_000);
    expect(events).toEqual([]);
    garbage = false;
    await r.pump(10_000);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });
});

describe('inside a session', () => {
  it('a reply with a tampered MAC is refused, ends the session, and the link re-handshakes', async () => {
    const pd = makePd({ scbk: KEY_A });
    let tamper = false;
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && tamper && body(reply)[6] === 0x18) {
        const copy = body(reply).slice();
        copy[copy.length - 3]! ^= 0x01; // a MAC byte; the CRC is made valid again
        tamper = false;
        return fixCrc(copy);
      }
      return reply;
    };
    const r = rig({ scbk: KEY_A }, pd);
    const cards: number[] = [];
    r.cp.on('card', (_a, c) => cards.push(c.data[0]!));
    await r.pump(100);
    tamper = true;
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x11) });
    await r.pump(300);
    expect(r.log).toContain('warning 1: reply rejected: bad_mac');
    expect(cards).toEqual([]);
    // Not reported offline: the PD is reachable; a new session is opened at once.
    expect(r.log.filter((l) => l.startsWith('offline'))).toEqual([]);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });

  it('a command with a tampered MAC is refused by the PD and not executed', () => {
    const commands: Command[] = [];
    const { pd, cp } = handshaken(commands);
    const frame = cp.seal(2, CMD.OUT, Uint8Array.of(0, 2, 0, 0));
    frame[frame.length - 4]! ^= 0x80;
    const reply = parsePacket(pd.receive(fixCrc(frame), 10)!);
    expect(reply).toMatchObject({ code: REPLY.NAK, data: Uint8Array.of(NAK.SC_CONDITIONS) });
    expect(commands).toEqual([]);
    expect(pd.secure).toBe(false);
  });

  it('a replayed command is not executed again: same SQN gets the cached reply, an old one is refused', () => {
    const commands: Command[] = [];
    const { pd, cp } = handshaken(commands);
    const open = cp.seal(2, CMD.OUT, Uint8Array.of(0, 2, 0, 0));
    const first = pd.receive(open, 10)!;
    // The same frame again (a retransmission, or an attacker replaying it right away): byte-identical
    // cached reply, the door output is not driven twice.
    expect(hex(pd.receive(open, 11)!)).toBe(hex(first));
    expect(commands).toHaveLength(1);
    expect(cp.open(first)).toBe(true);
    // The session moves on…
    expect(cp.open(pd.receive(cp.seal(3, CMD.POLL, new Uint8Array()), 12)!)).toBe(true);
    expect(cp.open(pd.receive(cp.seal(1, CMD.POLL, new Uint8Array()), 13)!)).toBe(true);
    // …and the old "open" frame replayed later carries a stale MAC for this point of the chain.
    const replay = parsePacket(pd.receive(open, 14)!);
    expect(replay).toMatchObject({ code: REPLY.NAK, data: Uint8Array.of(NAK.SC_CONDITIONS) });
    expect(commands).toHaveLength(1);
    expect(pd.secure).toBe(false);
  });

  it('a replayed reply is not accepted by the CP', async () => {
    const pd = makePd({ scbk: KEY_A });
    let captured: Uint8Array | undefined;
    let replayNext = false;
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && body(reply)[6] === 0x18 && !captured) captured = reply;
      if (replayNext && captured && reply) {
        replayNext = false;
        return captured;
      }
      return reply;
    };
    const r = rig({ scbk: KEY_A }, pd);
    const cards: number[] = [];
    r.cp.on('card', (_a, c) => cards.push(c.data[0]!));
    await r.pump(100);
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x42) });
    await r.pump(100);
    expect(cards).toEqual([0x42]);
    replayNext = true;
    await r.pump(1500);
    expect(cards).toEqual([0x42]);
    await r.close();
  });

  it('a plaintext command inside a session is refused and ends it', () => {
    const commands: Command[] = [];
    const { pd } = handshaken(commands);
    const plain = buildPacket({
      address: 1,
      reply: false,
      sequence: 2,
      useCrc: true,
      code: CMD.OUT,
      data: Uint8Array.of(0, 2, 0, 0),
    });
    expect(parsePacket(pd.receive(plain, 10)!)).toMatchObject({
      code: REPLY.NAK,
      data: Uint8Array.of(NAK.SC_CONDITIONS),
    });
    expect(commands).toEqual([]);
    expect(pd.secure).toBe(false);
  });

  it('a PD that holds a key answers only discovery and the handshake in clear', async () => {
    const rejects: string[] = [];
    const pd = makePd({ scbk: KEY_A, onReject: (why) => rejects.push(why) });
    const r = rig({ allowPlaintext: true }, pd);
    const cards: unknown[] = [];
    r.cp.on('card', (_a, c) => cards.push(c));
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x42) });
    await r.pump(300);
    expect(rejects).toContain('plaintext command refused: a key is installed');
    expect(cards).toEqual([]);
    await r.close();
  });

  it('an unexpected sequence number is refused with NAK 4', () => {
    const { pd, cp } = handshaken([]);
    const skipped = cp.seal(3, CMD.POLL, new Uint8Array());
    expect(parsePacket(pd.receive(skipped, 10)!)).toMatchObject({
      code: REPLY.NAK,
      data: Uint8Array.of(NAK.SEQUENCE),
    });
    expect(pd.secure).toBe(false);
  });
});

/** A PD (address 1, KEY_A) with a session opened by hand; `cp.seal` builds the CP's next command. */
function handshaken(commands: Command[]) {
  const pd = makePd({ scbk: KEY_A, mark: false }, commands);
  const rndA = fromHex('1112131415161718');
  const sel = Uint8Array.of(1);
  const base = { address: 1, reply: false, useCrc: true };
  const ccrypt = parsePacket(
    pd.receive(
      buildPacket({ ...base, sequence: 0, scb: { type: 0x11, data: sel }, code: CMD.CHLNG, data: rndA }),
      0,
    )!,
  );
  const keys = deriveSessionKeys(KEY_A, rndA);
  const rndB = ccrypt.data.subarray(8, 16);
  const rmacI = parsePacket(
    pd.receive(
      buildPacket({
        ...base,
        sequence: 1,
        scb: { type: 0x13, data: sel },
        code: CMD.SCRYPT,
        data: serverCryptogram(keys, rndA, rndB),
      }),
      1,
    )!,
  );
  expect(rmacI.code).toBe(REPLY.RMAC_I);
  const session = new SecureSession(keys, rmacI.data);
  return {
    pd,
    cp: {
      seal: (sequence: number, code: number, data: Uint8Array) =>
        session.sealCommand({ ...base, sequence, code }, data, false),
      /** accepts the PD's reply into the CP half's MAC chain */
      open: (reply: Uint8Array) => session.openReply(parsePacket(reply)).ok,
    },
  };
}
