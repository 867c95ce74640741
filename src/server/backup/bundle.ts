// What is inside a backup's encryption (archive.ts): a plain sequence of files, each a JSON line
// naming it and its size followed by its bytes, and a closing manifest with every file's SHA-256, so
// restore can check what landed on disk against what was backed up. Paths are validated on the way
// in: relative, no `..`, a small alphabet, so an archive cannot write outside the target directory.

import { createHash } from 'node:crypto';
import { z } from 'zod';

export const SAFE_PATH = /^(?!\.\.?(\/|$))[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const MAX_LINE = 64 * 1024;

const filePath = z
  .string()
  .max(255)
  .regex(SAFE_PATH, 'a relative path of letters, digits, dot, dash and underscore')
  .refine((p) => !p.split('/').includes('..'), 'no ..');

export const manifestSchema = z.strictObject({
  format: z.literal('monban-backup'),
  v: z.literal(1),
  createdAt: z.string().max(40),
  monban: z.string().max(40),
  database: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('sqlite'), file: filePath }),
    z.strictObject({ kind: z.literal('postgres') }),
  ]),
  /** where the installation key lived: in the data directory (so in this backup) or the environment */
  installationKey: z.enum(['file', 'environment']),
  files: z.array(
    z.strictObject({ path: filePath, size: z.number().int().min(0), sha256: z.string().length(64) }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

const entrySchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('file'), path: filePath, size: z.number().int().min(0) }),
  z.strictObject({ t: z.literal('end'), manifest: manifestSchema }),
]);

export interface BundleFile {
  path: string;
  size: number;
  /** the file's bytes, exactly `size` of them */
  bytes: () => AsyncIterable<Uint8Array>;
}

/** Writes the files in order, then the manifest (its `files` filled in from what was written). */
export async function* writeBundle(
  files: AsyncIterable<BundleFile> | Iterable<BundleFile>,
  manifest: Omit<Manifest, 'files'>,
): AsyncGenerator<Buffer> {
  const written: Manifest['files'] = [];
  for await (const file of files) {
    filePath.parse(file.path);
    yield Buffer.from(`${JSON.stringify({ t: 'file', path: file.path, size: file.size })}\n`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const piece of file.bytes()) {
      hash.update(piece);
      size += piece.byteLength;
      yield Buffer.from(piece);
    }
    if (size !== file.size) throw new Error(`${file.path} changed size while it was backed up`);
    written.push({ path: file.path, size, sha256: hash.digest('hex') });
  }
  yield Buffer.from(`${JSON.stringify({ t: 'end', manifest: { ...manifest, files: written } })}\n`);
}

export interface BundleSink {
  /** called for each file; consume `bytes` fully before returning */
  file(path: string, size: number, bytes: AsyncIterable<Buffer>): Promise<void>;
}

/** Reads a bundle, handing each file to `sink`; returns the manifest. Throws on any malformed part. */
export async function readBundle(plaintext: AsyncIterable<Buffer>, sink: BundleSink): Promise<Manifest> {
  const source = plaintext[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  const fill = async () => {
    const next = await source.next();
    if (next.done) return false;
    buf = buf.length === 0 ? next.value : Buffer.concat([buf, next.value]);
    return true;
  };
  const line = async (): Promise<string> => {
    for (;;) {
      const end = buf.indexOf(0x0a);
      if (end >= 0) {
        const text = buf.subarray(0, end).toString('utf8');
        buf = buf.subarray(end + 1);
        return text;
      }
      if (buf.length > MAX_LINE || !(await fill()))
        throw new Error('the bundle is malformed (no entry line)');
    }
  };
  async function* body(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      if (buf.length === 0 && !(await fill())) throw new Error('the bundle ends inside a file');
      const piece = buf.subarray(0, Math.min(left, buf.length));
      buf = buf.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
  const seen = new Set<string>();
  for (;;) {
    const text = await line();
    let entry: z.infer<typeof entrySchema>;
    try {
      entry = entrySchema.parse(JSON.parse(text));
    } catch {
      throw new Error('the bundle is malformed');
    }
    if (entry.t === 'end') {
      if (buf.length > 0 || (await fill())) throw new Error('the bundle has bytes after its manifest');
      return entry.manifest;
    }
    if (seen.has(entry.path)) throw new Error(`the bundle holds ${entry.path} twice`);
    seen.add(entry.path);
    await sink.file(entry.path, entry.size, body(entry.size));
  }
}
