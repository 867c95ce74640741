// Byte helpers for the card library. Kept local so that src/cards imports nothing else from Monban.

/** Comparison whose time does not depend on where the inputs differ (MACs, cryptograms). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concat(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function xorInto(target: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= other[i]!;
}

/** DESFire sends multi-byte integers least significant byte first. */
export function le16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}

export function le24(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
}

export function readLe24(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
}

/** Rotation by one byte to the left: how EV2 authentication proves a random was decrypted. */
export function rotateLeft(bytes: Uint8Array): Uint8Array {
  return concat(bytes.subarray(1), bytes.subarray(0, 1));
}

/** Overwrites secrets that are no longer needed (best effort: JS may have copied them). */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}
