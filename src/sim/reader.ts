// A simulated card reader: a real OSDP PeripheralDevice with a keypad, LEDs, a buzzer, outputs, a
// text display, tamper and power status, and a card slot. What the control panel commands (osdp_LED,
// osdp_BUZ, osdp_OUT, osdp_TEXT) is kept as state that tests and the demo can query; what happens at
// the reader (a card, keys, the case opened) is queued as the reply to the next poll.
//
// Cards come in two kinds. Secure cards (a `CardLink`, see src/cards) are authenticated and their
// credential file read; only the credential — never the UID — goes up, as osdp_RAW. Plain card data
// (`presentCard('wiegand', bits)`, `'raw'`, `'formatted'`) goes up as it is, as osdp_RAW or osdp_FMT.
// It imports only the OSDP and card libraries: nothing of the access-control domain.

import { randomBytes } from 'node:crypto';
import type { CardLink } from '../cards/card-link.ts';
import { type CardKeys, readCredential } from '../cards/reader.ts';
import {
  CMD,
  type Command,
  LED_PERMANENT,
  LED_TEMPORARY,
  type LedRecord,
  OUT_CONTROL,
  RAW_FORMAT,
  REPLY,
  type Reply,
  TONE,
} from '../osdp/messages.ts';
import { PeripheralDevice } from '../osdp/pd.ts';
import {
  decodeBioMatch,
  decodeXwr,
  encodeBioMatchReply,
  encodeXrd,
  TRANSPARENT_PROTOCOL_14443,
  type XrdReply,
} from '../osdp/transparent.ts';

/** RAW format 0x00 carrying a Monban credential id as ASCII; 0x01 is Wiegand (osdp.md §5). */
export const RAW_FORMAT_CREDENTIAL = RAW_FORMAT.UNSPECIFIED;
export const RAW_FORMAT_WIEGAND = RAW_FORMAT.WIEGAND;

export interface SimulatedReaderOptions {
  address: number;
  /** the reader's OSDP Secure Channel key, or install mode to receive one */
  scbk?: Uint8Array;
  installMode?: boolean;
  /** the card keys this reader holds (a real reader: in its secure element); none = secure cards fail */
  cardKeys?: CardKeys;
  onKeySet?: (scbk: Uint8Array) => void;
  /** randomness for RND.B and card authentication; defaults to node:crypto */
  random?: (n: number) => Uint8Array;
  /** LEDs per reader (PDCAP function 4); default 1 */
  leds?: number;
  outputs?: number;
  /** inputs (PDCAP function 1), reported by osdp_ISTATR when they change */
  inputs?: number;
  /**
   * Transparent mode (PDCAP function 12): the reader holds no card keys; a secure card is reported
   * by its UID (osdp_XRD card info) and the controller authenticates it through osdp_XWR.
   */
  transparent?: boolean;
  /** a fingerprint reader: answers osdp_BIOMATCH with the finger placed by `placeFinger` */
  biometric?: boolean;
}

export interface LedState {
  /** the colour shown now: the temporary one while it runs, else the permanent one */
  color: number;
  temporary: boolean;
  permanent: { onColor: number; offColor: number; onTime: number; offTime: number };
  /** the running temporary state, with its length in units of 100 ms */
  timed?: { onColor: number; offColor: number; onTime: number; offTime: number; timer: number };
}

export interface BuzzerState {
  /** sounding per the last osdp_BUZ (until `count` cycles; 0 = until told otherwise) */
  on: boolean;
  tone: number;
  onTime: number;
  offTime: number;
  count: number;
}

export interface ReaderIndicators {
  /** LED 0 of reader 0, the one most readers have */
  led: { color: number; temporary: boolean };
  /** beeps asked for so far (each BUZ with the default tone adds its count, at least 1) */
  beeps: number;
  buzzer: BuzzerState;
  text: string;
}

export type PlainCardFormat = 'wiegand' | 'raw' | 'formatted';

export class SimulatedReader {
  readonly pd: PeripheralDevice;
  readonly indicators: ReaderIndicators = {
    led: { color: 0, temporary: false },
    beeps: 0,
    buzzer: { on: false, tone: TONE.NONE, onTime: 0, offTime: 0, count: 0 },
    text: '',
  };
  /** card reads that failed authentication: for tests and the demo */
  rejectedCards = 0;
  /** output states as osdp_OUT left them (true = on) */
  readonly outputs: boolean[];
  private readonly leds: LedState[];
  private readonly random: (n: number) => Uint8Array;
  /** the card in the field, in transparent mode, until the controller says it is done */
  private heldCard: CardLink | undefined;
  private transparentMode: 0 | 1 = 0;
  private reportCards = true;
  private finger: number | undefined;
  /** APDUs the controller exchanged with held cards (transparent mode), for tests */
  apdus = 0;

  constructor(private readonly options: SimulatedReaderOptions) {
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    const ledCount = options.leds ?? 1;
    this.leds = Array.from({ length: ledCount }, () => ({
      color: 0,
      temporary: false,
      permanent: { onColor: 0, offColor: 0, onTime: 0, offTime: 0 },
    }));
    this.outputs = Array.from({ length: options.outputs ?? 0 }, () => false);
    this.pd = new PeripheralDevice({
      address: options.address,
      ...(options.scbk && { scbk: options.scbk }),
      installMode: options.installMode ?? false,
      cUid: this.random(8),
      id: {
        vendor: Uint8Array.of(0x4d, 0x42, 0x4e),
        model: 1,
        version: 1,
        serial: options.address,
        firmware: [0, 2, 0],
      },
      capabilities: [
        { function: 1, compliance: 1, items: options.inputs ?? 0 }, // inputs
        { function: 2, compliance: 1, items: this.outputs.length }, // outputs
        { function: 3, compliance: 1, items: 0 }, // card data as bits
        { function: 4, compliance: 4, items: ledCount }, // tri-colour LEDs
        { function: 5, compliance: 2, items: 1 }, // timed buzzer
        { function: 6, compliance: 1, items: 1 }, // one 1×16 display
        { function: 8, compliance: 1, items: 0 }, // CRC-16
        { function: 9, compliance: 1, items: 0 }, // AES-128 Secure Channel, default key not in use
        { function: 12, compliance: options.transparent ? 1 : 0, items: 0 }, // transparent mode
        { function: 13, compliance: 0, items: 1 }, // one reader
        { function: 14, compliance: options.biometric ? 1 : 0, items: 0 }, // fingerprint
        { function: 16, compliance: 2, items: 0 }, // SIA OSDP 2.2
      ],
      random: this.random,
      onCommand: (command) => this.onCommand(command),
      ...(options.onKeySet && { onKeySet: options.onKeySet }),
    });
    this.pd.outputs = this.outputs.map(() => 0);
    this.pd.inputs = Array.from({ length: options.inputs ?? 0 }, () => 0);
    this.pd.readers = [0];
  }

  /** An input changed (a door contact, a button wired to the reader): reported as osdp_ISTATR. */
  setInput(input: number, active: boolean): void {
    if (input >= this.pd.inputs.length)
      throw new RangeError(`the reader has ${this.pd.inputs.length} inputs`);
    this.pd.inputs[input] = active ? 1 : 0;
    this.pd.queue({ code: REPLY.ISTATR, inputs: [...this.pd.inputs] });
  }

  /** The next fingerprint match this reader will report: a score 0 … 255. */
  placeFinger(score: number): void {
    this.finger = score;
  }

  /** A secure card held to the reader: authenticated and read; only the credential is reported. */
  presentCard(card: CardLink): boolean;
  /** Wiegand card data as a list of bits (0/1), sent as osdp_RAW format Wiegand. */
  presentCard(format: 'wiegand', bits: readonly number[]): boolean;
  /** Raw card data, `bits` long (default: all of `bytes`), first bit in the MSB of the first byte. */
  presentCard(format: 'raw', bytes: Uint8Array, bits?: number): boolean;
  /** Card data already formatted as printable ASCII, sent as osdp_FMT. */
  presentCard(format: 'formatted', text: string): boolean;
  presentCard(
    card: CardLink | PlainCardFormat,
    data?: readonly number[] | Uint8Array | string,
    bits?: number,
  ): boolean {
    if (typeof card !== 'string')
      return this.options.transparent ? this.holdCard(card) : this.readSecureCard(card);
    switch (card) {
      case 'wiegand': {
        const list = data as readonly number[];
        return this.report({
          code: REPLY.RAW,
          reader: 0,
          format: RAW_FORMAT.WIEGAND,
          bits: list.length,
          data: packBits(list),
        });
      }
      case 'raw': {
        const bytes = data as Uint8Array;
        const count = bits ?? bytes.length * 8;
        if (count > bytes.length * 8) return false;
        return this.report({
          code: REPLY.RAW,
          reader: 0,
          format: RAW_FORMAT.UNSPECIFIED,
          bits: count,
          data: bytes.slice(0, Math.ceil(count / 8)),
        });
      }
      case 'formatted':
        return this.report({ code: REPLY.FMT, reader: 0, direction: 0, text: data as string });
      default: {
        const never: never = card;
        throw new RangeError(`unknown card format ${String(never)}`);
      }
    }
  }

  /** A legacy proximity card: its Wiegand bits go up unchanged (and are flagged by the controller). */
  presentWiegand(bits: readonly number[]): void {
    this.presentCard('wiegand', bits);
  }

  /** Keys typed on the keypad: digits, `#` enter, `*` clear, A-D function keys. */
  type(keys: string): void {
    if (!/^[0-9A-H*#]+$/.test(keys)) throw new RangeError('keypad keys are 0-9, A-H, * and #');
    this.pd.queue({ code: REPLY.KEYPAD, reader: 0, keys });
  }

  /** The case was opened (or closed again): reported at once as osdp_LSTATR. */
  setTamper(active: boolean): void {
    this.pd.tamper = active;
    this.pd.queue({ code: REPLY.LSTATR, tamper: active, powerFailure: this.pd.powerFailure });
  }

  setPowerFailure(failed: boolean): void {
    this.pd.powerFailure = failed;
    this.pd.queue({ code: REPLY.LSTATR, tamper: this.pd.tamper, powerFailure: failed });
  }

  /** The state of one LED as the last osdp_LED left it. */
  led(number = 0): LedState | undefined {
    const state = this.leds[number];
    return state && structuredClone(state);
  }

  private readSecureCard(card: CardLink): boolean {
    if (!this.options.cardKeys) {
      this.rejectedCards++;
      return false;
    }
    try {
      const credential = readCredential(card, this.options.cardKeys, this.random);
      const data = Uint8Array.from(credential.id, (c) => c.charCodeAt(0));
      return this.report({
        code: REPLY.RAW,
        reader: 0,
        format: RAW_FORMAT_CREDENTIAL,
        bits: data.length * 8,
        data,
      });
    } catch {
      // Authentication failed (a clone, a foreign card): nothing reaches the controller.
      this.rejectedCards++;
      return false;
    }
  }

  /** Transparent mode: the card stays in the field; the controller is told its UID and takes over. */
  private holdCard(card: CardLink): boolean {
    this.heldCard = card;
    if (this.reportCards)
      this.pd.queue({
        code: REPLY.XRD,
        data: encodeXrd({
          mode: 0,
          reply: 'card-info',
          reader: 0,
          protocol: TRANSPARENT_PROTOCOL_14443,
          csn: card.uid.slice(),
          protocolData: new Uint8Array(),
        }),
      });
    return true;
  }

  private transparent(data: Uint8Array): Reply {
    const xrd = (reply: XrdReply): Reply => ({ code: REPLY.XRD, data: encodeXrd(reply) });
    const command = decodeXwr(data);
    if (!command || !this.options.transparent) return { code: REPLY.NAK, error: 0x09 };
    switch (command.command) {
      case 'get-mode':
        return xrd({
          mode: 0,
          reply: 'current-mode',
          currentMode: this.transparentMode,
          reportCards: this.reportCards,
        });
      case 'set-mode':
        this.transparentMode = command.setMode;
        this.reportCards = command.reportCards;
        return { code: REPLY.ACK };
      case 'apdu': {
        if (this.transparentMode !== 1) return xrd({ mode: 1, reply: 'error', error: 1 });
        if (!this.heldCard) return xrd({ mode: 1, reply: 'card-present', reader: 0, status: 0 });
        this.apdus++;
        let response: Uint8Array;
        try {
          response = this.heldCard.transceive(command.apdu);
        } catch {
          return xrd({ mode: 1, reply: 'error', error: 2 });
        }
        return xrd({ mode: 1, reply: 'card-data', reader: 0, status: 0, apdu: response });
      }
      case 'done':
        this.heldCard = undefined;
        return { code: REPLY.ACK };
      case 'scan':
        return xrd({ mode: 1, reply: 'card-present', reader: 0, status: this.heldCard ? 2 : 0 });
      default: {
        const never: never = command;
        return never;
      }
    }
  }

  private bioMatch(data: Uint8Array): Reply {
    const command = decodeBioMatch(data);
    if (!command || !this.options.biometric) return { code: REPLY.NAK, error: 0x07 };
    const score = this.finger;
    this.finger = undefined;
    // No finger within the reader's time: status 1 (timeout), score 0.
    return {
      code: REPLY.BIOMATCHR,
      data: encodeBioMatchReply({
        reader: command.reader,
        status: score === undefined ? 1 : 0,
        score: score ?? 0,
      }),
    };
  }

  private report(reply: Reply): boolean {
    this.pd.queue(reply);
    return true;
  }

  private onCommand(command: Command): Reply | undefined {
    switch (command.code) {
      case CMD.LED:
        for (const record of command.leds) this.applyLed(record);
        return undefined;
      case CMD.BUZ:
        for (const b of command.buzzers) {
          if (b.reader !== 0) continue;
          const sounding = b.tone !== TONE.OFF && b.tone !== TONE.NONE && b.onTime > 0;
          this.indicators.buzzer = {
            on: sounding,
            tone: b.tone,
            onTime: b.onTime,
            offTime: b.offTime,
            count: b.count,
          };
          if (sounding) this.indicators.beeps += Math.max(1, b.count);
        }
        return undefined;
      case CMD.OUT:
        for (const o of command.outputs) {
          if (o.output >= this.outputs.length) return { code: REPLY.NAK, error: 0x09 };
          const on = outputOn(o.control, this.outputs[o.output]!);
          this.outputs[o.output] = on;
          this.pd.outputs[o.output] = on ? 1 : 0;
        }
        return undefined;
      case CMD.TEXT:
        this.indicators.text = command.text;
        return undefined;
      case CMD.XWR:
        return this.transparent(command.data);
      case CMD.BIOMATCH:
        return this.bioMatch(command.data);
      default:
        return undefined;
    }
  }

  private applyLed(record: LedRecord): void {
    if (record.reader !== 0) return;
    const state = this.leds[record.led];
    if (!state) return;
    const p = record.permanent;
    if (p.control === LED_PERMANENT.SET)
      state.permanent = { onColor: p.onColor, offColor: p.offColor, onTime: p.onTime, offTime: p.offTime };
    const t = record.temporary;
    if (t.control === LED_TEMPORARY.SET) {
      state.timed = {
        onColor: t.onColor,
        offColor: t.offColor,
        onTime: t.onTime,
        offTime: t.offTime,
        timer: t.timer,
      };
    } else if (t.control === LED_TEMPORARY.CANCEL) {
      delete state.timed;
    }
    state.temporary = state.timed !== undefined;
    state.color = state.timed ? state.timed.onColor : state.permanent.onColor;
    if (record.led === 0) this.indicators.led = { color: state.color, temporary: state.temporary };
  }
}

/** The output level after an osdp_OUT control code (timed codes show their "on" phase). */
function outputOn(control: number, was: boolean): boolean {
  switch (control) {
    case OUT_CONTROL.OFF_ABORT_TIMED:
    case OUT_CONTROL.OFF_AFTER_TIMED:
    case OUT_CONTROL.TEMPORARY_OFF:
      return false;
    case OUT_CONTROL.ON_ABORT_TIMED:
    case OUT_CONTROL.ON_AFTER_TIMED:
    case OUT_CONTROL.TEMPORARY_ON:
      return true;
    default:
      return was;
  }
}

/** Bits (0/1), first bit into the MSB of the first byte, unused low bits zero (osdp.md §5). */
function packBits(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >>> 3]! |= 0x80 >>> (i & 7);
  });
  return out;
}
