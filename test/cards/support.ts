// Helpers for the card tests: hex, byte-exact comparison with a hexdump diff, a seeded random source
// and links that record, replay or tamper with card traffic. Local to test/cards on purpose.

import type { CardLink } from '../../src/cards/card-link.ts';

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex in test: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

/** Side by side, 16 bytes a row, differing bytes marked with ^^. */
export function hexdumpDiff(expected: Uint8Array, actual: Uint8Array): string {
  const cell = (b: number | undefined) =>
    b === undefined ? '  ' : b.toString(16).padStart(2, '0').toUpperCase();
  const rows = [`        expected${' '.repeat(40)}actual`];
  for (let offset = 0; offset < Math.max(expected.length, actual.length); offset += 16) {
    const range = Array.from({ length: 16 }, (_, i) => offset + i);
    const e = range.map((i) => cell(expected[i])).join(' ');
    const a = range.map((i) => cell(actual[i])).join(' ');
    const marks = range.map((i) => (expected[i] === actual[i] ? '  ' : '^^')).join(' ');
    rows.push(`${offset.toString(16).padStart(4, '0')}    ${e}  |  ${a}`);
    if (marks.trim()) rows.push(`        ${' '.repeat(e.length)}     ${marks}`);
  }
  return rows.join('\n');
}

/** Byte-exact assertion: on mismatch, fails with a hexdump diff of the two byte strings. */
export function expectBytes(actual: Uint8Array, expectedHex: string, what: string): void {
  const expected = fromHex(expectedHex);
  const same = actual.length === expected.length && actual.every((b, i) => b === expected[i]);
  if (!same)
    throw new Error(
      `${what}: bytes differ (expected ${expected.length}, got ${actual.length})\n${hexdumpDiff(expected, actual)}`,
    );
}

/** Deterministic randomness (xorshift32), so failures reproduce. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0 || 0x9e3779b9;
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state & 0xff;
    });
}

/** A random source that hands out the given values in turn (for published vectors). */
export function scriptedRandom(...values: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const v = values[i++];
    if (!v || v.length !== n) throw new Error('scripted random ran out or has the wrong length');
    return v.slice();
  };
}

export interface Exchange {
  command: Uint8Array;
  response: Uint8Array;
}

/** Passes traffic through to a card and records it. */
export function recording(card: CardLink): CardLink & { log: Exchange[] } {
  const log: Exchange[] = [];
  return {
    uid: card.uid,
    log,
    transceive(command) {
      const response = card.transceive(command);
      log.push({ command: command.slice(), response: response.slice() });
      return response;
    },
  };
}

/** A card emulator that answers from a script of responses, recording what it was sent. */
export function scripted(uid: Uint8Array, responses: Uint8Array[]): CardLink & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  let i = 0;
  return {
    uid,
    sent,
    transceive(command) {
      sent.push(command.slice());
      return responses[i++] ?? Uint8Array.of(0x91, 0x1c);
    },
  };
}

/** Flips one bit of the response to the `exchange`-th command (0-based) passing through. */
export function tamperingAt(card: CardLink, exchange: number, byteIndex: number, bit = 0): CardLink {
  let n = 0;
  return {
    uid: card.uid,
    transceive(command) {
      const response = card.transceive(command).slice();
      if (n++ === exchange && byteIndex < response.length) response[byteIndex]! ^= 1 << bit;
      return response;
    },
  };
}
