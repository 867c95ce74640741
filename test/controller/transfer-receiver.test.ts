// Rule: the controller's transfer staging (src/controller/snapshot-transfer.ts) completes exactly
// when every chunk has arrived intact — in any order, with duplicates, corrupted copies and restarts
// in between — and then yields exactly the body the server packed. What it reports missing is
// always exactly the chunks not yet intact on disk, also right after a restart.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Json } from '../../src/contracts/canonical.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import { prepareTransfer } from '../../src/contracts/transfer.ts';
import { TransferReceiver } from '../../src/controller/snapshot-transfer.ts';

const server = generateKeyPairSync('ed25519');
const root = mkdtempSync(join(tmpdir(), 'monban-receiver-'));
let runs = 0;

const body = {
  kind: 'snapshot',
  version: 9,
  site: {
    people: Array.from({ length: 120 }, (_, i) => ({
      id: `p-${i}`,
      credentials: [{ type: 'card', id: createHash('sha256').update(`card-${i}`).digest('hex') }],
    })),
  },
} as unknown as Record<string, Json>;

/** One step: chunk `index` arrives intact, corrupted, or the controller restarts. */
const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('chunk' as const), index: fc.nat(), corrupt: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const) }) },
);

describe('transfer staging', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('completes exactly when every chunk is intact, and yields the packed body', async () => {
    const t = await prepareTransfer(body, 1_024);
    expect(t.chunks.length).toBeGreaterThan(4);
    const sealer = new Sealer('server', server.privateKey);
    const manifest = sealer.seal('monban/main/server/commands/ctl', t.manifest as unknown as Json, 1);
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), async (steps) => {
        const dir = join(root, String(runs++));
        let receiver = new TransferReceiver(dir, server.publicKey);
        receiver.begin(t.manifest, manifest);
        const intact = new Set<number>();
        // Then every chunk once more intact, so that each run ends complete.
        const all = [
          ...steps,
          ...t.chunks.map((_, index) => ({ op: 'chunk' as const, index, corrupt: false })),
        ];
        let completed = false;
        for (const step of all) {
          if (step.op === 'restart') {
            receiver.close();
            receiver = new TransferReceiver(dir, server.publicKey);
            receiver.load();
          } else {
            const index = step.index % t.chunks.length;
            const data = Buffer.from(t.chunks[index]!);
            if (step.corrupt) data[index % data.length]! ^= 0x01;
            const outcome = receiver.chunk({
              kind: 'snapshot-chunk',
              transfer: t.manifest.transfer,
              index,
              data: data.toString('base64'),
            });
            if (step.corrupt) expect(['refused', 'duplicate', 'abandoned']).toContain(outcome);
            if (outcome === 'abandoned') {
              // Three bad copies of one chunk: given up, nothing staged any more. Start over.
              expect(receiver.manifest).toBeUndefined();
              receiver.begin(t.manifest, manifest);
              intact.clear();
              continue;
            }
            if (!step.corrupt) intact.add(index);
            if (outcome === 'complete') {
              completed = true;
              break;
            }
          }
          const missing = t.chunks.map((_, i) => i).filter((i) => !intact.has(i));
          expect(receiver.missing()).toEqual(missing);
          expect(missing.length).toBeGreaterThan(0); // not complete yet, so something is missing
        }
        expect(completed).toBe(true);
        expect(intact.size).toBe(t.chunks.length);
        const received = await receiver.finish(join(dir, 'body.gz'));
        expect(received.body).toEqual(body);
        expect(receiver.manifest).toBeUndefined(); // staging cleared
      }),
      { numRuns: 60 },
    );
  });
});
