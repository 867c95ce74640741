// The backup container (src/server/backup/archive.ts, bundle.ts): any content round-trips whatever
// the chunking; any single changed byte, a removed or swapped frame, bytes appended or cut off are
// refused; a wrong passphrase is told apart from damage; paths that would leave the target are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArchiveDamaged, open, seal, WrongPassphrase } from '../../../src/server/backup/archive.ts';
import { readBundle, writeBundle } from '../../../src/server/backup/bundle.ts';

// Cheap parameters for many runs; the command uses DEFAULT_KDF.
const fast = { kdf: { N: 1 << 14, r: 8, p: 1 }, chunk: 1024 };

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of source) parts.push(Buffer.from(piece));
  return Buffer.concat(parts);
}

async function* pieces(data: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of cuts) {
    const next = Math.min(data.length, at + cut);
    yield data.subarray(at, next);
    at = next;
  }
  yield data.subarray(at);
}

async function sealed(data: Buffer, cuts: number[] = []): Promise<Buffer> {
  return collect(seal('correct horse battery', pieces(data, cuts), fast));
}

const opened = (archive: Buffer, passphrase = 'correct horse battery') =>
  collect(open(passphrase, pieces(archive, [7, 100, 3000])));

describe('backup archive', () => {
  it('round-trips any bytes, however they arrive', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 5 }),
        async (bytes, cuts) => {
          const data = Buffer.from(bytes);
          expect((await opened(await sealed(data, cuts))).equals(data)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);

  it('refuses any single changed byte', async () => {
    const data = Buffer.from('x'.repeat(3000));
    const archive = await sealed(data);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: archive.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, flip) => {
          const changed = Buffer.from(archive);
          changed[at]! ^= flip;
          await expect(opened(changed)).rejects.toThrow(/damaged or was altered|wrong passphrase/);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('refuses swapped, dropped, appended and cut-off frames', async () => {
    const data = Buffer.alloc(3000, 7);
    const archive = await sealed(data);
    const headerEnd = archive.indexOf(0x0a, archive.indexOf(0x0a) + 1) + 1;
    const frame = 4 + 1024 + 16;
    const head = archive.subarray(0, headerEnd);
    const f = (i: number) => archive.subarray(headerEnd + i * frame, headerEnd + (i + 1) * frame);
    const rest = archive.subarray(headerEnd + 2 * frame);
    await expect(opened(Buffer.concat([head, f(1), f(0), rest]))).rejects.toThrow(
      /frame 0 .* does not authenticate/,
    );
    await expect(opened(Buffer.concat([head, f(0), rest]))).rejects.toThrow(ArchiveDamaged);
    await expect(opened(Buffer.concat([archive, Buffer.from([0, 0, 0, 0])]))).rejects.toThrow(ArchiveDamaged);
    await expect(opened(Buffer.concat([head, f(0), f(1)]))).rejects.toThrow(
      /does not authenticate as the last one/,
    );
    await expect(opened(head)).rejects.toThrow(/truncated/);
    await expect(opened(Buffer.from('PK\u0003\u0004 a zip file'))).rejects.toThrow(/not a Monban backup/);
  });

  it('tells a wrong passphrase apart from damage', async () => {
    const archive = await sealed(Buffer.from('secret'));
    await expect(opened(archive, 'another passphrase')).rejects.toThrow(WrongPassphrase);
  });

  it('refuses header parameters that would cost too much to try', async () => {
    const archive = await sealed(Buffer.from('secret'));
    const text = archive.toString('latin1').replace('"N":16384', `"N":${1 << 24}`);
    await expect(opened(Buffer.from(text, 'latin1'))).rejects.toThrow(/header is not valid/);
  });
});

describe('backup bundle', () => {
  const manifest = {
    format: 'monban-backup' as const,
    v: 1 as const,
    createdAt: '2026-12-02T00:00:00.000Z',
    monban: '0.1.0',
    database: { kind: 'postgres' as const },
    installationKey: 'file' as const,
  };
  const one = (path: string, bytes: Buffer) => ({
    path,
    size: bytes.length,
    bytes: async function* () {
      yield bytes;
    },
  });

  it('carries files and their hashes', async () => {
    const bundle = await collect(
      writeBundle(
        [one('installation.key', Buffer.from('k\n')), one('anchors/c.jsonl', Buffer.from('{}\n'))],
        manifest,
      ),
    );
    const got: Record<string, string> = {};
    const read = await readBundle(pieces(bundle, [5, 9]), {
      async file(path, _size, bytes) {
        got[path] = (await collect(bytes)).toString();
      },
    });
    expect(got).toEqual({ 'installation.key': 'k\n', 'anchors/c.jsonl': '{}\n' });
    expect(read.files.map((f) => f.path)).toEqual(['installation.key', 'anchors/c.jsonl']);
    expect(read.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses paths that leave the target', async () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'a/../../b', '.', 'a//b', 'a\\b']) {
      const line = `${JSON.stringify({ t: 'file', path, size: 1 })}\nx`;
      await expect(
        readBundle(pieces(Buffer.from(line), []), {
          async file() {
            throw new Error('must not be called');
          },
        }),
      ).rejects.toThrow('the bundle is malformed');
    }
  });
});
