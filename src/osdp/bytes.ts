// Small byte helpers shared by the OSDP layers.

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new RangeError('hex string has an odd number of digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Comparison whose time does not depend on where the inputs differ (for cryptograms and MACs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function u16le(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff);
}

export function u32le(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

export function readU16le(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

export function readU32le(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/**
 * Checks that a value fits an unsigned field of `bits` before it is written: an application bug (a
 * timer of 70000 in a u16) must fail loudly at the caller, not wrap silently on the wire.
 */
export function checkUint(value: number, bits: 8 | 16 | 32, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits)
    throw new RangeError(`${field} must be an integer in 0..${2 ** bits - 1}`);
  return value;
}

/** Builds a payload byte by byte with range checks; `bytes()` returns what was written. */
export class ByteWriter {
  private readonly out: number[] = [];

  u8(value: number, field: string): this {
    this.out.push(checkUint(value, 8, field));
    return this;
  }

  u16(value: number, field: string): this {
    checkUint(value, 16, field);
    this.out.push(value & 0xff, value >>> 8);
    return this;
  }

  i16(value: number, field: string): this {
    if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff)
      throw new RangeError(`${field} must be an integer in -32768..32767`);
    return this.u16(value & 0xffff, field);
  }

  u32(value: number, field: string): this {
    checkUint(value, 32, field);
    this.out.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
    return this;
  }

  raw(bytes: Uint8Array, field: string, length?: number): this {
    if (length !== undefined && bytes.length !== length)
      throw new RangeError(`${field} must be ${length} bytes`);
    for (const b of bytes) this.out.push(b);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function readI16le(bytes: Uint8Array, offset: number): number {
  const value = readU16le(bytes, offset);
  return value >= 0x8000 ? value - 0x10000 : value;
}
