// The encrypted container of a backup (`monban backup`). A backup holds the whole database and the
// installation key, so it is encrypted under a passphrase with authenticated encryption, streamed in
// chunks so a large database never sits in memory:
//
//   MONBAN-BACKUP/1\n
//   {"kdf":{"name":"scrypt","N":…,"r":8,"p":1,"salt":…},"cipher":"aes-256-gcm","chunk":…,
//    "nonce":…,"check":…,"createdAt":…}\n                          ← the header, authenticated as AAD
//   frame*: u32 length of the ciphertext | ciphertext | 16-byte GCM tag
//
// The key comes from scrypt (memory-hard, in node:crypto: no dependency); HKDF splits it into the
// encryption key and a check value kept in the header, so a wrong passphrase is told apart from a
// damaged archive. Frames follow the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár): the
// nonce is a random prefix, the frame's counter and a last-frame flag, so frames cannot be reordered,
// dropped or duplicated, and a truncated archive (no last frame) is refused. The header's scrypt
// parameters are bounded when read: an archive cannot make restore allocate gigabytes.

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';

export const MAGIC = 'MONBAN-BACKUP/1';
const TAG = 16;
const NONCE_PREFIX = 7;
const MAX_HEADER = 4096;
export const DEFAULT_CHUNK = 1 << 20;
/** scrypt N = 2^17, r = 8: 128 MiB and about half a second per derivation on one core */
export const DEFAULT_KDF = { N: 1 << 17, r: 8, p: 1 } as const;

export class WrongPassphrase extends Error {
  constructor() {
    super('wrong passphrase: this backup was encrypted with another one (or its header was changed)');
    this.name = 'WrongPassphrase';
  }
}

export class ArchiveDamaged extends Error {
  constructor(detail: string) {
    super(`the backup is damaged or was altered: ${detail}; nothing was restored from it`);
    this.name = 'ArchiveDamaged';
  }
}

const b64 = z.string().regex(/^[A-Za-z0-9_-]+$/);
const headerSchema = z.strictObject({
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(1 << 14)
      .max(1 << 20)
      .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
    r: z.number().int().min(1).max(16),
    p: z.number().int().min(1).max(4),
    salt: b64,
  }),
  cipher: z.literal('aes-256-gcm'),
  chunk: z
    .number()
    .int()
    .min(1024)
    .max(16 << 20),
  nonce: b64,
  check: b64,
  createdAt: z.string().max(40),
});
export type ArchiveHeader = z.infer<typeof headerSchema>;

interface Keys {
  enc: Buffer;
  check: Buffer;
}

function deriveKeys(passphrase: string, kdf: ArchiveHeader['kdf']): Promise<Keys> {
  const salt = Buffer.from(kdf.salt, 'base64url');
  return new Promise((resolve, reject) => {
    // NFC: the same passphrase typed on another keyboard or OS gives the same bytes.
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + (1 << 20) },
      (error, master) => {
        if (error) return reject(error);
        const split = (info: string) => Buffer.from(hkdfSync('sha256', master, salt, info, 32));
        const check = createHmac('sha256', split('monban backup v1 check'))
          .update('monban-backup/check')
          .digest()
          .subarray(0, 16);
        resolve({ enc: split('monban backup v1 encryption'), check });
      },
    );
  });
}

function nonceFor(prefix: Buffer, counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(counter, NONCE_PREFIX);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Re-chunks a byte stream into pieces of exactly `size` bytes (the last one shorter or empty). */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of source) {
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (length + buf.length >= size) {
      const take = size - length;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending);
      buf = buf.subarray(take);
      pending = [];
      length = 0;
    }
    if (buf.length > 0) {
      pending.push(Buffer.from(buf));
      length += buf.length;
    }
  }
  yield Buffer.concat(pending);
}

export interface SealOptions {
  kdf?: { N: number; r: number; p: number };
  chunk?: number;
  now?: Date;
}

/** Encrypts `plaintext` into the archive format, yielding its bytes. */
export async function* seal(
  passphrase: string,
  plaintext: AsyncIterable<Uint8Array>,
  options: SealOptions = {},
): AsyncGenerator<Buffer> {
  const cost = options.kdf ?? DEFAULT_KDF;
  const kdf = { name: 'scrypt' as const, ...cost, salt: randomBytes(16).toString('base64url') };
  const keys = await deriveKeys(passphrase, kdf);
  const prefix = randomBytes(NONCE_PREFIX);
  const header: ArchiveHeader = {
    kdf,
    cipher: 'aes-256-gcm',
    chunk: options.chunk ?? DEFAULT_CHUNK,
    nonce: prefix.toString('base64url'),
    check: keys.check.toString('base64url'),
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  const headerLine = JSON.stringify(header);
  const aad = createHash('sha256').update(MAGIC).update('\n').update(headerLine).digest();
  yield Buffer.from(`${MAGIC}\n${headerLine}\n`);
  let counter = 0;
  // One piece of look-ahead: a frame is the last one only when nothing follows it.
  let held: Buffer | undefined;
  const frame = (piece: Buffer, last: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', keys.enc, nonceFor(prefix, counter++, last));
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(piece), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, body, cipher.getAuthTag()]);
  };
  for await (const piece of rechunk(plaintext, header.chunk)) {
    if (held !== undefined) yield frame(held, false);
    held = piece;
  }
  yield frame(held ?? Buffer.alloc(0), true);
}

/** Reads exact byte counts from an async byte stream. */
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  offset = 0;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    let next = await this.source.next();
    // Empty pieces carry nothing: skip them, or the end of the stream would go unseen.
    while (!next.done && next.value.byteLength === 0) next = await this.source.next();
    if (next.done) return false;
    const piece = Buffer.from(next.value);
    this.buf = this.buf.length === 0 ? piece : Buffer.concat([this.buf, piece]);
    return true;
  }

  /** `n` bytes, or fewer only at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.fill())) {}
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** A line without its '\n', or undefined when none ends within `max` bytes. */
  async line(max: number): Promise<string | undefined> {
    for (;;) {
      const end = this.buf.indexOf(0x0a);
      if (end >= 0 && end <= max) return (await this.take(end + 1)).subarray(0, end).toString('utf8');
      if (this.buf.length > max || !(await this.fill())) return undefined;
    }
  }

  async atEnd(): Promise<boolean> {
    return this.buf.length === 0 && !(await this.fill());
  }
}

/** Reads and checks the header; throws WrongPassphrase before any frame is read. */
async function openHeader(bytes: Bytes, passphrase: string) {
  const magic = await bytes.line(MAGIC.length);
  if (magic !== MAGIC) throw new ArchiveDamaged('not a Monban backup (no MONBAN-BACKUP/1 line)');
  const headerLine = await bytes.line(MAX_HEADER);
  if (headerLine === undefined) throw new ArchiveDamaged('the header is missing or too long');
  let header: ArchiveHeader;
  try {
    header = headerSchema.parse(JSON.parse(headerLine));
  } catch {
    throw new ArchiveDamaged('the header is not valid');
  }
  const keys = await deriveKeys(passphrase, header.kdf);
  const stored = Buffer.from(header.check, 'base64url');
  if (stored.length !== keys.check.length || !timingSafeEqual(stored, keys.check))
    throw new WrongPassphrase();
  const aad = createHash('sha256').update(MAGIC).update('\n').update(headerLine).digest();
  return { header, keys, aad, prefix: Buffer.from(header.nonce, 'base64url') };
}

/**
 * Decrypts an archive, yielding plaintext frame by frame. Every frame is authenticated before it is
 * yielded, but only the end of the stream proves nothing was cut off: callers write what they get
 * somewhere temporary and commit only when the generator finished without throwing.
 */
export async function* open(
  passphrase: string,
  archive: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer, ArchiveHeader> {
  const bytes = new Bytes(archive[Symbol.asyncIterator]());
  const { header, keys, aad, prefix } = await openHeader(bytes, passphrase);
  if (prefix.length !== NONCE_PREFIX) throw new ArchiveDamaged('the header is not valid');
  for (let counter = 0; ; counter++) {
    const at = bytes.offset;
    const length = await bytes.take(4);
    if (length.length === 0) throw new ArchiveDamaged(`it ends early (after ${at} bytes): truncated`);
    if (length.length < 4) throw new ArchiveDamaged(`it ends inside a frame at byte ${at}: truncated`);
    const size = length.readUInt32BE();
    if (size > header.chunk) throw new ArchiveDamaged(`frame ${counter} at byte ${at} has a bad length`);
    const body = await bytes.take(size + TAG);
    if (body.length < size + TAG)
      throw new ArchiveDamaged(`it ends inside frame ${counter} at byte ${at}: truncated`);
    const tag = body.subarray(size);
    // The last frame is the only one sealed with the flag set: try it when the stream ends here.
    const last = await bytes.atEnd();
    const decipher = createDecipheriv('aes-256-gcm', keys.enc, nonceFor(prefix, counter, last));
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body.subarray(0, size)), decipher.final()]);
    } catch {
      throw new ArchiveDamaged(
        last
          ? `frame ${counter} at byte ${at} does not authenticate as the last one (changed or truncated)`
          : `frame ${counter} at byte ${at} does not authenticate (changed, reordered or removed)`,
      );
    }
    if (plain.length > 0) yield plain;
    if (last) return header;
  }
}
