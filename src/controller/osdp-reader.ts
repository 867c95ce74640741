// A ReaderPort for a reader on an OSDP bus: the control panel's events become card, keypad, link and
// tamper events for the reader loop; LED and buzzer requests become osdp_LED and osdp_BUZ commands.

import { parseWiegand } from '../cards/wiegand.ts';
import type { ControlPanel } from '../osdp/cp.ts';
import { CMD } from '../osdp/messages.ts';
import type { CardRead, LedColor, ReaderPort, ReaderPortEvents } from './reader-port.ts';

const LED_CODES: Record<LedColor, number> = { off: 0, red: 1, green: 2, amber: 3, blue: 4 };
const RAW_FORMAT_WIEGAND = 0x01;

export class OsdpReaderPort implements ReaderPort {
  private readonly listeners = new Map<keyof ReaderPortEvents, ((...args: never[]) => void)[]>();

  constructor(
    private readonly cp: ControlPanel,
    private readonly address: number,
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
      if (address === this.address) this.emit('online', true);
    });
    cp.on('offline', (address) => {
      if (address === this.address) this.emit('online', false);
    });
    cp.on('status', (address, status) => {
      if (address === this.address) this.emit('tamper', status.tamper);
    });
  }

  on<E extends keyof ReaderPortEvents>(event: E, listener: ReaderPortEvents[E]): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (...args: never[]) => void]);
  }

  private emit<E extends keyof ReaderPortEvents>(event: E, ...args: Parameters<ReaderPortEvents[E]>): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }

  led(color: LedColor, ms: number): void {
    const tenths = Math.min(0xffff, Math.max(1, Math.round(ms / 100)));
    this.cp
      .send(this.address, {
        code: CMD.LED,
        leds: [
          {
            reader: 0,
            led: 0,
            temporary: {
              control: 2,
              onTime: 10,
              offTime: 0,
              onColor: LED_CODES[color],
              offColor: 0,
              timer: tenths,
            },
            permanent: { control: 0, onTime: 0, offTime: 0, onColor: 0, offColor: 0 },
          },
        ],
      })
      .catch(() => {
        // A reader that went offline misses its LED update; the link-loss alarm says so.
      });
  }

  beep(count: number, onMs: number): void {
    const tenths = Math.min(255, Math.max(1, Math.round(onMs / 100)));
    this.cp
      .send(this.address, {
        code: CMD.BUZ,
        buzzers: [{ reader: 0, tone: 2, onTime: tenths, offTime: tenths, count }],
      })
      .catch(() => {});
  }
}

/** A RAW report as a card read: a secure credential id, or a legacy Wiegand number flagged insecure. */
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
  if (bits % 8 !== 0 || bits === 0) return undefined;
  const id = String.fromCharCode(...data.subarray(0, bits / 8));
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(id)) return undefined;
  return linkSecure ? { credentialId: id } : { credentialId: id, insecure: 'osdp-plaintext' };
}
