// A real control panel and a real peripheral device joined in memory, driven by a fake clock: the
// link comes up through ID, CAP and the Secure Channel handshake; commands and events flow; keys are
// provisioned and rotated; lost replies are recovered from the PD's cache; BUSY, COMSET and the
// 8-second off-line rule behave as osdp.md §3 says; and the link recovers through line noise.
import { describe, expect, it } from 'vitest';
import { loopbackPair } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { CMD, type Command, LED_COLOR, REPLY, TEXT_COMMAND } from '../../src/osdp/messages.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { KEY_A, KEY_B, makePd, rig, seededRandom, settle } from './support.ts';

const greenFor3s = {
  reader: 0,
  led: 0,
  temporary: { control: 2, onTime: 5, offTime: 5, onColor: LED_COLOR.GREEN, offColor: 0, timer: 30 },
  permanent: { control: 0, onTime: 0, offTime: 0, onColor: 0, offColor: 0 },
};

describe('OSDP session over loopback', () => {
  it('comes online through ID, CAP and the handshake, with the PD identity and capabilities', async () => {
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_A }, pd);
    const online: unknown[] = [];
    r.cp.on('online', (address, info) => online.push({ address, ...info }));
    await r.pump(100);
    expect(r.cp.stateOf(1)).toBe('online');
    expect(r.cp.isSecure(1)).toBe(true);
    expect(pd.secure).toBe(true);
    expect(online).toEqual([
      {
        address: 1,
        secure: true,
        id: expect.objectContaining({ serial: 123456, model: 1 }),
        capabilities: expect.arrayContaining([{ function: 9, compliance: 1, items: 1 }]),
      },
    ]);
    await r.close();
  });

  it('carries LED, buzzer, output and text commands, and card, keypad and status events', async () => {
    const commands: Command[] = [];
    const pd = makePd({ scbk: KEY_A }, commands);
    const r = rig({ scbk: KEY_A }, pd);
    const events: unknown[] = [];
    r.cp.on('card', (_a, c) => events.push({ card: [...c.data], bits: c.bits, secure: c.secure }));
    r.cp.on('formattedCard', (_a, c) => events.push({ text: c.text, secure: c.secure }));
    r.cp.on('keypad', (_a, k) => events.push({ keys: k.keys, secure: k.secure }));
    r.cp.on('status', (_a, s) => events.push({ tamper: s.tamper, power: s.powerFailure }));
    await r.pump(100);

    const replies = [
      r.cp.led(1, [greenFor3s]),
      r.cp.buzzer(1, [{ reader: 0, tone: 2, onTime: 2, offTime: 2, count: 3 }]),
      r.cp.output(1, [{ output: 0, control: 5, timer: 50 }]),
      r.cp.text(1, {
        reader: 0,
        command: TEXT_COMMAND.PERMANENT,
        seconds: 0,
        row: 1,
        column: 1,
        text: 'WELCOME',
      }),
    ];
    await r.pump(100);
    for (const reply of await Promise.all(replies)) expect(reply.code).toBe(REPLY.ACK);
    expect(commands.map((c) => c.code)).toEqual([CMD.LED, CMD.BUZ, CMD.OUT, CMD.TEXT]);
    expect(commands[0]).toEqual({ code: CMD.LED, leds: [greenFor3s] });

    pd.queue({
      code: REPLY.RAW,
      reader: 0,
      format: 0,
      bits: 32,
      data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
    });
    pd.queue({ code: REPLY.FMT, reader: 0, direction: 0, text: '12345' });
    pd.queue({ code: REPLY.KEYPAD, reader: 0, keys: '1234#' });
    pd.queue({ code: REPLY.LSTATR, tamper: true, powerFailure: false });
    await r.pump(300);
    expect(events).toEqual([
      { card: [0xde, 0xad, 0xbe, 0xef], bits: 32, secure: true },
      { text: '12345', secure: true },
      { keys: '1234#', secure: true },
      { tamper: true, power: false },
    ]);
    await r.close();
  });

  it('drives two PDs on one bus, each with its own key and address', async () => {
    const clock = { now: 0 };
    const [cpEnd, busEnd] = loopbackPair();
    const pds = [makePd({ address: 1, scbk: KEY_A }), makePd({ address: 2, scbk: KEY_B })];
    for (const pd of pds) attachPd(pd, busEnd, () => clock.now);
    const cp = new ControlPanel({
      pds: [
        { address: 1, scbk: KEY_A },
        { address: 2, scbk: KEY_B },
      ],
      random: seededRandom(4).bytes,
    });
    cp.attach(cpEnd);
    const cards: string[] = [];
    cp.on('card', (address, c) => cards.push(`${address}:${c.data[0]}`));
    const pump = async (ms: number) => {
      for (let t = 0; t < ms; t += 10, clock.now += 10) {
        cp.refresh(clock.now);
        await settle();
      }
    };
    await pump(200);
    expect([cp.isSecure(1), cp.isSecure(2)]).toEqual([true, true]);
    pds[1]!.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x22) });
    pds[0]!.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x11) });
    await pump(200);
    expect(cards.sort()).toEqual(['1:17', '2:34']);
    await cpEnd.close();
    await busEnd.close();
  });

  it('keeps the link when the application fails: a bad field at the CP, a throwing or bad handler at the PD', async () => {
    const pd = makePd({
      scbk: KEY_A,
      onCommand: (command) => {
        if (command.code === CMD.TEXT) throw new Error('display broken');
        if (command.code === CMD.MFG) return { code: REPLY.KEYPAD, reader: 0, keys: 'not keys' };
        return undefined;
      },
    });
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(100);
    await expect(r.cp.output(1, [{ output: 0, control: 1, timer: 100_000 }])).rejects.toThrow(RangeError);
    await expect(r.cp.send(1, { code: CMD.CHLNG, rndA: new Uint8Array(8) })).rejects.toThrow(/link itself/);
    const text = r.cp.text(1, { reader: 0, command: 1, seconds: 0, row: 1, column: 1, text: 'X' });
    const mfg = r.cp.send(1, { code: CMD.MFG, vendor: Uint8Array.of(1, 2, 3), data: new Uint8Array() });
    await r.pump(100);
    await expect(text).rejects.toThrow(/NAK 9/);
    await expect(mfg).rejects.toThrow(/NAK 9/);
    expect(r.cp.isSecure(1)).toBe(true);
    expect(r.log).toEqual(['online 1 secure']);
    await r.close();
  });

  it('answers status queries from the PD state', async () => {
    const pd = makePd({ scbk: KEY_A });
    pd.inputs = [0, 1];
    pd.tamper = true;
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(100);
    const inputs = r.cp.send(1, { code: CMD.ISTAT });
    const local = r.cp.send(1, { code: CMD.LSTAT });
    await r.pump(50);
    await expect(inputs).resolves.toEqual({ code: REPLY.ISTATR, inputs: [0, 1] });
    await expect(local).resolves.toEqual({ code: REPLY.LSTATR, tamper: true, powerFailure: false });
    await r.close();
  });

  it('provisions a key in install mode, then reconnects with it; the PD leaves install mode', async () => {
    let stored: Uint8Array | undefined;
    const pd = makePd({ installMode: true, onKeySet: (k) => (stored = k) });
    const r = rig({ install: { newScbk: KEY_B } }, pd);
    await r.pump(200);
    expect(r.log).toEqual(['keyset 1', 'online 1 secure']);
    expect(stored).toEqual(KEY_B);
    expect(pd.inInstallMode).toBe(false);
    expect(r.cp.stateOf(1)).toBe('online');
    expect(pd.secure).toBe(true);
    await r.close();
  });

  it('finishes provisioning whose KEYSET ACK was lost: the PD left install mode, the new key works', async () => {
    let silentUntil = 0;
    let r: ReturnType<typeof rig> | undefined;
    const pd = makePd({
      installMode: true,
      onKeySet: () => {
        silentUntil = r!.clock.now + 9000;
      },
    });
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      return now < silentUntil ? undefined : reply;
    };
    r = rig({ install: { newScbk: KEY_B } }, pd);
    await r.pump(20_000);
    expect(pd.inInstallMode).toBe(false);
    expect(r.cp.isSecure(1)).toBe(true);
    expect(r.log.filter((l) => l === 'keyset 1')).toHaveLength(1);
    expect(r.log.at(-1)).toBe('online 1 secure');
    await r.close();
  });

  it('rotates the key of an online PD inside the Secure Channel without reporting it offline', async () => {
    let stored: Uint8Array | undefined;
    const pd = makePd({ scbk: KEY_A, onKeySet: (k) => (stored = k) });
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(100);
    const ack = r.cp.keyset(1, KEY_B);
    await r.pump(200);
    await expect(ack).resolves.toEqual({ code: REPLY.ACK });
    expect(stored).toEqual(KEY_B);
    expect(r.cp.isSecure(1)).toBe(true);
    expect(r.log).toEqual(['online 1 secure', 'keyset 1']);
    // The old key no longer opens a session with this PD.
    const fresh = rig({ scbk: KEY_A }, pd);
    await fresh.pump(300);
    expect(fresh.cp.stateOf(1)).not.toBe('online');
    await fresh.close();
    await r.close();
  });

  it('recovers a key rotation whose ACK never arrived: the new key is tried and adopted', async () => {
    let silentUntil = 0;
    let r: ReturnType<typeof rig> | undefined;
    const pd = makePd({
      scbk: KEY_A,
      // The PD commits the key, but its ACK and everything after it is lost for 9 s.
      onKeySet: () => {
        silentUntil = r!.clock.now + 9000;
      },
    });
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      return now < silentUntil ? undefined : reply;
    };
    r = rig({ scbk: KEY_A }, pd);
    await r.pump(100);
    const ack = r.cp.keyset(1, KEY_B);
    ack.catch(() => {});
    await r.pump(20_000);
    await expect(ack).rejects.toThrow(/no reply/);
    expect(r.cp.isSecure(1)).toBe(true);
    expect(r.log).toContain('keyset 1');
    expect(r.log.filter((l) => l.startsWith('offline'))).toHaveLength(1);
    // The CP holds the new key now: a later session opens with it.
    await r.pump(100);
    expect(pd.secure).toBe(true);
    await r.close();
  });

  it('changes the PD address with COMSET and carries on at the new one', async () => {
    const changes: unknown[] = [];
    const pd = makePd({ scbk: KEY_A, onComSet: (address, baud) => changes.push({ address, baud }) });
    const r = rig({ scbk: KEY_A }, pd);
    const seen: unknown[] = [];
    r.cp.on('comset', (old, settings) => seen.push({ old, ...settings }));
    await r.pump(100);
    const reply = r.cp.comset(1, 9, 19200);
    await r.pump(200);
    await expect(reply).resolves.toEqual({ code: REPLY.COM, address: 9, baud: 19200 });
    expect(changes).toEqual([{ address: 9, baud: 19200 }]);
    expect(seen).toEqual([{ old: 1, address: 9, baud: 19200 }]);
    expect(pd.currentAddress).toBe(9);
    expect(r.cp.stateOf(9)).toBe('online');
    expect(r.cp.stateOf(1)).toBeUndefined();
    await r.close();
  });

  it('resends a command whose reply was lost; the PD answers from its cache and runs it once', async () => {
    const commands: Command[] = [];
    const pd = makePd({ scbk: KEY_A }, commands);
    const r = rig({ scbk: KEY_A }, pd);
    await r.pump(100);
    const original = pd.receive.bind(pd);
    let replies: Uint8Array[] = [];
    let dropNext = true;
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && frame[5] === 0x02 && frame[6] === 0x17) {
        replies.push(reply);
        if (dropNext) {
          dropNext = false;
          return undefined; // lost on the line
        }
      }
      return reply;
    };
    replies = [];
    const done = r.cp.output(1, [{ output: 1, control: 2, timer: 0 }]);
    await r.pump(400);
    await expect(done).resolves.toEqual({ code: REPLY.ACK });
    expect(commands.filter((c) => c.code === CMD.OUT)).toHaveLength(1);
    expect(replies).toHaveLength(2);
    expect([...replies[1]!]).toEqual([...replies[0]!]);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });

  it('waits on BUSY and repeats the same command, which then runs', async () => {
    let busy = 2;
    const commands: Command[] = [];
    const pd = makePd({
      scbk: KEY_A,
      onCommand: (command) => {
        if (command.code === CMD.TEXT && busy-- > 0) return { code: REPLY.BUSY };
        commands.push(command);
        return undefined;
      },
    });
    const r = rig({ scbk: KEY_A }, pd, { busyRetryMs: 50 });
    await r.pump(100);
    const done = r.cp.text(1, { reader: 0, command: 1, seconds: 0, row: 1, column: 1, text: 'WAIT' });
    await r.pump(300);
    await expect(done).resolves.toEqual({ code: REPLY.ACK });
    expect(commands.filter((c) => c.code === CMD.TEXT)).toHaveLength(1);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });

  it('declares a silent PD offline after 8 s (not before), once, then brings it back', async () => {
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_A }, pd, { retryOfflineMs: 2000 });
    await r.pump(100);
    const original = pd.receive.bind(pd);
    pd.receive = () => undefined;
    const pending = r.cp.led(1, [greenFor3s]);
    pending.catch(() => {});
    await r.pump(7500);
    expect(r.cp.stateOf(1)).toBe('online');
    await r.pump(1000);
    expect(r.cp.stateOf(1)).toBe('offline');
    await expect(pending).rejects.toThrow(/no reply/);
    await r.pump(5000);
    expect(r.log.filter((l) => l.startsWith('offline'))).toEqual([
      'offline 1: no valid reply within the off-line time',
    ]);
    pd.receive = original;
    await r.pump(3000);
    expect(r.cp.stateOf(1)).toBe('online');
    expect(r.log.filter((l) => l.startsWith('online'))).toHaveLength(2);
    await r.close();
  });

  it('runs a legacy plaintext link only when allowed, and says so on every event', async () => {
    const pd = makePd({ capabilities: [{ function: 8, compliance: 0, items: 0 }] });
    const r = rig({ allowPlaintext: true }, pd);
    const cards: boolean[] = [];
    r.cp.on('card', (_a, c) => cards.push(c.secure));
    await r.pump(100);
    expect(r.log).toEqual(['online 1 plaintext']);
    pd.queue({ code: REPLY.RAW, reader: 0, format: 1, bits: 26, data: Uint8Array.of(1, 2, 3, 0) });
    await r.pump(100);
    expect(cards).toEqual([false]);
    await r.close();
  });

  it('comes online and delivers every card read intact, once and in order, through line noise', async () => {
    // About 1 byte in 33 flipped, dropped or followed by an inserted byte: most frames of a few
    // dozen bytes arrive damaged at least once.
    let disturbed = 0;
    const unit = seededRandom(5).unit;
    const noise = {
      flip: 0.01,
      drop: 0.01,
      insert: 0.01,
      random: () => {
        const x = unit();
        if (x < 0.01) disturbed++;
        return x;
      },
    };
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_A }, pd, {}, noise);
    const cards: string[] = [];
    r.cp.on('card', (_a, c) => cards.push(Buffer.from(c.data).toString('hex')));
    // Bring-up may fail on damaged frames and be retried; it must get there.
    for (let i = 0; i < 200 && !r.cp.isSecure(1); i++) await r.pump(100);
    expect(r.cp.isSecure(1)).toBe(true);
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const data = Uint8Array.of(i, 0xa5, 0x5a, i);
      sent.push(Buffer.from(data).toString('hex'));
      pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 32, data });
      await r.pump(300);
    }
    await r.pump(20_000);
    expect(disturbed).toBeGreaterThan(100);
    // Nothing corrupted is accepted, nothing is lost or delivered twice, and the order is kept:
    // lost replies come back from the PD's cache, damaged ones die at the CRC.
    expect(cards).toEqual(sent);
    expect(r.cp.isSecure(1)).toBe(true);
    await r.close();
  });
});
