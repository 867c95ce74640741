// A simulated card reader: an OSDP peripheral device with a keypad, an LED and a buzzer, that reads
// secure cards (mutual authentication, then the credential file) and reports the credential — never
// the UID — as osdp_RAW. Legacy Wiegand cards can be presented too; they are reported as Wiegand.

import { randomBytes } from 'node:crypto';
import type { CardLink } from '../cards/card-link.ts';
import { type CardKeys, readCredential } from '../cards/reader.ts';
import { bytesFromBits } from '../cards/wiegand.ts';
import { CMD, type Command, type LedRecord, REPLY } from '../osdp/messages.ts';
import { PeripheralDevice } from '../osdp/pd.ts';

/** RAW format 0x00 carrying a Monban credential id as ASCII; 0x01 is Wiegand (osdp.md §5). */
export const RAW_FORMAT_CREDENTIAL = 0x00;
export const RAW_FORMAT_WIEGAND = 0x01;

export interface SimulatedReaderOptions {
  address: number;
  /** the reader's OSDP Secure Channel key, or install mode to receive one */
  scbk?: Uint8Array;
  installMode?: boolean;
  /** the card keys this reader holds (in a real reader: its secure element) */
  cardKeys: CardKeys;
  onKeySet?: (scbk: Uint8Array) => void;
}

export interface ReaderIndicators {
  led: { color: number; temporary: boolean };
  beeps: number;
  text: string;
}

export class SimulatedReader {
  readonly pd: PeripheralDevice;
  readonly indicators: ReaderIndicators = { led: { color: 0, temporary: false }, beeps: 0, text: '' };
  /** card reads that failed authentication: for tests and the demo */
  rejectedCards = 0;

  constructor(private readonly options: SimulatedReaderOptions) {
    const random = (n: number) => new Uint8Array(randomBytes(n));
    this.pd = new PeripheralDevice({
      address: options.address,
      ...(options.scbk && { scbk: options.scbk }),
      installMode: options.installMode ?? false,
      cUid: random(8),
      id: {
        vendor: Uint8Array.of(0x4d, 0x42, 0x4e),
        model: 1,
        version: 1,
        serial: options.address,
        firmware: [0, 1, 0],
      },
      capabilities: [
        { function: 3, compliance: 1, items: 0 }, // card data as bits
        { function: 4, compliance: 4, items: 1 }, // one tri-colour LED
        { function: 5, compliance: 2, items: 1 }, // timed buzzer
        { function: 8, compliance: 1, items: 0 }, // CRC-16
        { function: 9, compliance: 1, items: 0 }, // AES-128 Secure Channel, no default key in use
        { function: 13, compliance: 0, items: 1 }, // one reader
      ],
      random,
      onCommand: (command) => this.onCommand(command),
      ...(options.onKeySet && { onKeySet: options.onKeySet }),
    });
  }

  /** A card held to the reader: authenticated and read; only the credential is reported. */
  presentCard(card: CardLink): boolean {
    try {
      const credential = readCredential(card, this.options.cardKeys, (n) => new Uint8Array(randomBytes(n)));
      const data = Uint8Array.from(credential.id, (c) => c.charCodeAt(0));
      this.pd.queue({
        code: REPLY.RAW,
        reader: 0,
        format: RAW_FORMAT_CREDENTIAL,
        bits: data.length * 8,
        data,
      });
      return true;
    } catch {
      this.rejectedCards++;
      return false;
    }
  }

  /** A legacy proximity card: its Wiegand bits go up unchanged (and are flagged by the controller). */
  presentWiegand(bits: readonly number[]): void {
    this.pd.queue({
      code: REPLY.RAW,
      reader: 0,
      format: RAW_FORMAT_WIEGAND,
      bits: bits.length,
      data: bytesFromBits(bits),
    });
  }

  /** Keys typed on the keypad: digits, `#` enter, `*` clear. */
  type(keys: string): void {
    this.pd.queue({ code: REPLY.KEYPAD, reader: 0, keys });
  }

  /** The case was opened (or closed again). */
  setTamper(active: boolean): void {
    this.pd.tamper = active;
    this.pd.queue({ code: REPLY.LSTATR, tamper: active, powerFailure: this.pd.powerFailure });
  }

  private onCommand(command: Command): undefined {
    switch (command.code) {
      case CMD.LED:
        for (const record of command.leds) this.applyLed(record);
        break;
      case CMD.BUZ:
        for (const b of command.buzzers) if (b.tone === 2) this.indicators.beeps += Math.max(1, b.count);
        break;
      case CMD.TEXT:
        this.indicators.text = command.text;
        break;
      default:
        break;
    }
    return undefined;
  }

  private applyLed(record: LedRecord): void {
    if (record.temporary.control === 2)
      this.indicators.led = { color: record.temporary.onColor, temporary: true };
    else if (record.temporary.control === 1 || record.permanent.control === 1)
      this.indicators.led = { color: record.permanent.onColor, temporary: false };
  }
}
