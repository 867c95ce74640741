// A ReaderPort for one reader on an OSDP bus: the control panel's events for its address become
// card, keypad, link, tamper and input events; LED, buzzer, output and fingerprint requests become
// osdp_LED, osdp_BUZ, osdp_OUT and osdp_BIOMATCH commands.
//
// Secure cards are read one of two ways (controller configuration `cards`):
// - `reader`: the reader authenticates the card with its own keys and reports only the credential
//   (osdp_RAW, format 0, the credential id in ASCII);
// - `transparent`: the reader reports the card's UID (osdp_XRD card info) and the controller
//   authenticates the card itself through the reader, APDU by APDU (osdp_XWR), with the card key
//   from its key store. A card that cannot authenticate is reported as a UID-only read, flagged.
// Either way the UID is never taken as a credential unless a door explicitly allows it.

import { CardError } from '../../cards/card-link.ts';
import type { AsyncCardLink } from '../../cards/exchange.ts';
import { readCredentialAsync } from '../../cards/reader.ts';
import { parseWiegand } from '../../cards/wiegand.ts';
import type { ControlPanel } from '../../osdp/cp.ts';
import { CMD, LED_PERMANENT, LED_TEMPORARY, OUT_CONTROL, REPLY } from '../../osdp/messages.ts';
import type { Reply } from '../../osdp/replies.ts';
import {
  decodeBioMatchReply,
  decodeXrd,
  encodeBioMatch,
  encodeXwr,
  type XwrCommand,
} from '../../osdp/transparent.ts';
import type { CardRead, LedColor, ReaderPort, ReaderPortEvents } from '../reader-port.ts';

const LED_CODES: Record<LedColor, number> = { off: 0, red: 1, green: 2, amber: 3, blue: 4 };
const RAW_FORMAT_WIEGAND = 0x01;

export interface TransparentCards {
  aid: Uint8Array;
  /** the card's diversified key for its UID (from the key store; the master key stays there) */
  keyFor: (uid: Uint8Array) => Uint8Array;
}

export interface OsdpReaderEvents extends ReaderPortEvents {
  /** one of the reader's inputs changed (osdp_ISTATR) */
  input(input: number, active: boolean): void;
}

export class OsdpReaderPort implements ReaderPort {
  private readonly listeners = new Map<keyof OsdpReaderEvents, ((...args: never[]) => void)[]>();
  private inputs: number[] | undefined;
  private cardBusy = false;

  constructor(
    private readonly cp: ControlPanel,
    private readonly address: number,
    private readonly options: { transparent?: TransparentCards; onWarning?: (reason: string) => void } = {},
  ) {
    cp.on('card', (address, card) => {
      if (address !== this.address) return;
      const read = toCardRead(card.format, card.bits, card.data, card.secure);
      if (read) this.emit('card', read);
    });
    cp.on('keypad', (address, keypad) => {
      if (address === this.address) this.emit('keypad', keypad.keys);
    });
    cp.on('online', (address) => {
      if (address !== this.address) return;
      this.emit('online', true);
      this.afterOnline();
    });
    cp.on('offline', (address) => {
      if (address !== this.address) return;
      this.inputs = undefined;
      this.emit('online', false);
    });
    cp.on('status', (address, status) => {
      if (address === this.address) this.emit('tamper', status.tamper);
    });
    cp.on('reply', (address, reply) => {
      if (address === this.address) this.onReply(reply);
    });
  }

  on<E extends keyof OsdpReaderEvents>(event: E, listener: OsdpReaderEvents[E]): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (...args: never[]) => void]);
  }

  private emit<E extends keyof OsdpReaderEvents>(event: E, ...args: Parameters<OsdpReaderEvents[E]>): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }

  get online(): boolean {
    return this.cp.stateOf(this.address) === 'online';
  }

  /** Brought up (again): learn the inputs, and turn card reports on for transparent mode. */
  private afterOnline(): void {
    this.send({ code: CMD.ISTAT });
    if (this.options.transparent) this.xwr({ mode: 0, command: 'set-mode', setMode: 0, reportCards: true });
  }

  private onReply(reply: Reply): void {
    if (reply.code === REPLY.ISTATR) {
      const before = this.inputs;
      this.inputs = [...reply.inputs];
      reply.inputs.forEach((value, i) => {
        if (before === undefined || before[i] !== value) this.emit('input', i, value !== 0);
      });
      return;
    }
    if (reply.code === REPLY.XRD && this.options.transparent) {
      const xrd = decodeXrd(reply.data);
      if (xrd?.reply === 'card-info') void this.transparentRead(xrd.csn);
    }
  }

  /** Authenticates a card through the reader; reports its credential, or its UID flagged. */
  private async transparentRead(uid: Uint8Array): Promise<void> {
    const cards = this.options.transparent!;
    if (this.cardBusy || uid.length === 0 || uid.length > 10) return;
    this.cardBusy = true;
    let read: CardRead;
    try {
      await this.xwrReply({ mode: 0, command: 'set-mode', setMode: 1, reportCards: false });
      const link: AsyncCardLink = {
        uid,
        transceive: async (apdu) => {
          const reply = await this.xwrReply({ mode: 1, command: 'apdu', reader: 0, apdu });
          const xrd = reply.code === REPLY.XRD ? decodeXrd(reply.data) : undefined;
          if (xrd?.reply !== 'card-data')
            throw new CardError('bad_response', 'the reader did not pass the card response');
          return xrd.apdu;
        },
      };
      const credential = await readCredentialAsync(link, cards.keyFor, cards.aid);
      read = { credentialId: credential.id };
    } catch (error) {
      // Not a Monban card (or a clone): all that is known is its UID, which anyone can copy.
      if (!(error instanceof CardError))
        this.options.onWarning?.(`transparent card read failed: ${(error as Error).message}`);
      read = { credentialId: Buffer.from(uid).toString('hex').toUpperCase(), insecure: 'uid' };
    } finally {
      this.xwr({ mode: 1, command: 'done', reader: 0 });
      this.xwr({ mode: 0, command: 'set-mode', setMode: 0, reportCards: true });
      this.cardBusy = false;
    }
    if (this.online) this.emit('card', read);
  }

  private xwr(command: XwrCommand): void {
    this.send({ code: CMD.XWR, data: encodeXwr(command) });
  }

  private xwrReply(command: XwrCommand): Promise<Reply> {
    return this.cp.send(this.address, { code: CMD.XWR, data: encodeXwr(command) });
  }

  /** Fire and forget: a reader that went offline misses it; the link-loss alarm says so. */
  private send(command: Parameters<ControlPanel['send']>[1]): void {
    this.cp.send(this.address, command).catch(() => {});
  }

  led(color: LedColor, ms: number, flash = false): void {
    const tenths = Math.min(0xffff, Math.max(1, Math.round(ms / 100)));
    this.send({
      code: CMD.LED,
      leds: [
        {
          reader: 0,
          led: 0,
          temporary: {
            control: LED_TEMPORARY.SET,
            onTime: flash ? 3 : 10,
            offTime: flash ? 3 : 0,
            onColor: LED_CODES[color],
            offColor: 0,
            timer: tenths,
          },
          permanent: { control: LED_PERMANENT.NOP, onTime: 0, offTime: 0, onColor: 0, offColor: 0 },
        },
      ],
    });
  }

  beep(count: number, onMs: number): void {
    const tenths = Math.min(255, Math.max(1, Math.round(onMs / 100)));
    this.send({ code: CMD.BUZ, buzzers: [{ reader: 0, tone: 2, onTime: tenths, offTime: tenths, count }] });
  }

  /** Drives one of the reader's outputs (its relay): on = energised. */
  output(output: number, on: boolean): Promise<void> {
    return this.cp
      .send(this.address, {
        code: CMD.OUT,
        outputs: [
          { output, control: on ? OUT_CONTROL.ON_ABORT_TIMED : OUT_CONTROL.OFF_ABORT_TIMED, timer: 0 },
        ],
      })
      .then(() => {});
  }

  async biometricMatch(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    const reply = await this.cp.send(this.address, {
      code: CMD.BIOMATCH,
      data: encodeBioMatch({ reader: 0, type: 0, format: 0, quality: 0, template: new Uint8Array() }),
    });
    const match = reply.code === REPLY.BIOMATCHR ? decodeBioMatchReply(reply.data) : undefined;
    if (match?.status !== 0 || Date.now() > deadline) return undefined;
    return match.score;
  }
}

/**
 * A RAW report as a card read: a secure credential id, or a legacy read flagged insecure — a Wiegand
 * number, or card bytes that are no credential id (a reader reporting the card's serial number).
 */
export function toCardRead(
  format: number,
  bits: number,
  data: Uint8Array,
  linkSecure: boolean,
): CardRead | undefined {
  if (format === RAW_FORMAT_WIEGAND) {
    const bitList = Array.from({ length: bits }, (_, i) => (data[i >>> 3]! >>> (7 - (i & 7))) & 1);
    const parsed = parseWiegand(bitList);
    if (!parsed.ok) return undefined;
    return { credentialId: `${parsed.facility}-${parsed.card}`, insecure: `wiegand-${bits}` };
  }
  if (bits % 8 !== 0 || bits === 0 || bits > 20 * 8) return undefined;
  const bytes = data.subarray(0, bits / 8);
  const id = String.fromCharCode(...bytes);
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(id))
    return { credentialId: Buffer.from(bytes).toString('hex').toUpperCase(), insecure: 'uid' };
  return linkSecure ? { credentialId: id } : { credentialId: id, insecure: 'osdp-plaintext' };
}
