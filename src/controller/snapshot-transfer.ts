// The controller's side of chunked snapshot transfer (issue 11 §1; the format is
// contracts/transfer.ts). A verified manifest opens a staging file of the announced size; each
// chunk is checked against its hash in the manifest and written at its place; a chunk that fails
// is refused and asked again. When every chunk is in, the whole is checked once more and handed on,
// still unparsed until it matched — the policy in force keeps deciding until then, and a torn or
// corrupted transfer never replaces it.
//
// Resumable: the staging directory holds the signed manifest and the partial file. After a restart
// the manifest's signature is checked again and every chunk slot of the file is hashed, so what
// counts as received is only what is on disk and intact (a chunk torn by a power cut is simply
// missing). The hello then names the transfer and the missing chunks, and the server sends those.

import type { KeyObject } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Envelope, Opener } from '../contracts/envelope.ts';
import { parseMessage, type SnapshotChunk, type SnapshotManifest } from '../contracts/messages.ts';
import { chunkBounds, chunkMatches, openTransferred } from '../contracts/transfer.ts';
import { checkBodyFile } from './snapshot-lines.ts';

const MANIFEST = 'manifest.json';
const PART = 'body.part';
/** A chunk that fails its hash this often is not asked again: the transfer is given up (alarm). */
const MAX_REFUSALS = 3;

/** How a transfer is going, for the hello, metrics and tests. */
export interface TransferStats {
  transfer: string;
  total: number;
  /** chunks intact on disk */
  have: number;
  /** of those, found already staged when this process started */
  stagedAtStart: number;
  /** chunks received (and stored) by this process */
  received: number;
  /** chunks refused because they failed their hash */
  refused: number;
  /** chunks that came again though already staged (sent more than was missing) */
  duplicates: number;
}

export type ChunkOutcome = 'stored' | 'duplicate' | 'refused' | 'ignored' | 'complete' | 'abandoned';

/** A transfer fully received and verified: its body (unchecked as a message) and where it lies. */
export interface ReceivedTransfer {
  body: unknown;
  manifest: Envelope;
  /** the compressed body, moved out of staging; the caller keeps it or deletes it */
  file: string;
}

interface Staged {
  manifest: SnapshotManifest;
  envelope: Envelope;
  have: boolean[];
  refusals: Map<number, number>;
  fd: number;
  stats: TransferStats;
}

export class TransferReceiver {
  private staged: Staged | undefined;
  private last: TransferStats | undefined;
  private finishing = false;

  constructor(
    /** the staging directory (its own, inside the controller's data directory) */
    private readonly dir: string,
    private readonly serverKey: KeyObject,
  ) {}

  /** A transfer staged before a restart, checked again; throws naming why it was dropped. */
  load(): void {
    const path = join(this.dir, MANIFEST);
    if (!existsSync(path) || !existsSync(join(this.dir, PART))) return;
    try {
      const envelope = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      const opened = new Opener((s) => (s === 'server' ? this.serverKey : undefined)).open(envelope);
      if (!opened.ok) throw new Error(opened.reason);
      const parsed = parseMessage(opened.envelope.body);
      if (!parsed.ok || parsed.message.kind !== 'snapshot-manifest') throw new Error('not a manifest');
      const manifest = parsed.message;
      const fd = openSync(join(this.dir, PART), 'r+');
      const have = manifest.chunks.map((_, i) => {
        const { start, end } = chunkBounds(manifest, i);
        const data = Buffer.alloc(end - start);
        return readSync(fd, data, 0, data.length, start) === data.length && chunkMatches(manifest, i, data);
      });
      const count = have.filter(Boolean).length;
      this.staged = {
        manifest,
        envelope: opened.envelope,
        have,
        refusals: new Map(),
        fd,
        stats: {
          transfer: manifest.transfer,
          total: have.length,
          have: count,
          stagedAtStart: count,
          received: 0,
          refused: 0,
          duplicates: 0,
        },
      };
      this.last = this.staged.stats;
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  /** The staged manifest, if any (the agent checks it still applies to the policy it holds). */
  get manifest(): SnapshotManifest | undefined {
    return this.staged?.manifest;
  }

  /** The last transfer's figures (kept after it completed). */
  get stats(): TransferStats | undefined {
    return this.last && { ...this.last };
  }

  /** What the hello names: the staged transfer and the chunks it lacks. */
  progress(): { transfer: string; missing: number[] } | undefined {
    if (!this.staged) return undefined;
    return { transfer: this.staged.manifest.transfer, missing: this.missing() };
  }

  missing(): number[] {
    const missing: number[] = [];
    this.staged?.have.forEach((has, i) => {
      if (!has) missing.push(i);
    });
    return missing;
  }

  /** Starts staging a verified manifest's transfer (the same one again keeps what is staged). */
  begin(manifest: SnapshotManifest, envelope: Envelope): void {
    // One being finished is checked first; a newer one comes again (the heartbeat shows the gap).
    if (this.finishing || this.staged?.manifest.transfer === manifest.transfer) return;
    this.discard();
    mkdirSync(this.dir, { recursive: true });
    const part = join(this.dir, PART);
    const fd = openSync(part, 'w+', 0o600);
    ftruncateSync(fd, manifest.size);
    writeFileSync(join(this.dir, `${MANIFEST}.tmp`), JSON.stringify(envelope), { mode: 0o600, flush: true });
    renameSync(join(this.dir, `${MANIFEST}.tmp`), join(this.dir, MANIFEST));
    this.staged = {
      manifest,
      envelope,
      have: manifest.chunks.map(() => false),
      refusals: new Map(),
      fd,
      stats: {
        transfer: manifest.transfer,
        total: manifest.chunks.length,
        have: 0,
        stagedAtStart: 0,
        received: 0,
        refused: 0,
        duplicates: 0,
      },
    };
    this.last = this.staged.stats;
  }

  /** A verified chunk message: stored at its place when it matches its hash. */
  chunk(message: SnapshotChunk): ChunkOutcome {
    const staged = this.staged;
    if (!staged || staged.manifest.transfer !== message.transfer || this.finishing) return 'ignored';
    const { index } = message;
    if (index >= staged.have.length) return 'ignored';
    if (staged.have[index]) {
      staged.stats.duplicates++;
      return 'duplicate';
    }
    const data = Buffer.from(message.data, 'base64');
    if (!chunkMatches(staged.manifest, index, data)) {
      staged.stats.refused++;
      const refusals = (staged.refusals.get(index) ?? 0) + 1;
      staged.refusals.set(index, refusals);
      if (refusals >= MAX_REFUSALS) {
        this.discard();
        return 'abandoned';
      }
      return 'refused';
    }
    writeSync(staged.fd, data, 0, data.length, chunkBounds(staged.manifest, index).start);
    staged.have[index] = true;
    staged.stats.have++;
    staged.stats.received++;
    return staged.stats.have === staged.have.length ? 'complete' : 'stored';
  }

  /**
   * Every chunk is in: the whole is made durable, checked against the manifest and decompressed.
   * The staging is cleared either way; on success the compressed body is moved to `target`.
   */
  async finish(target: string): Promise<ReceivedTransfer> {
    const staged = this.staged;
    if (!staged || staged.have.some((h) => !h)) throw new Error('transfer incomplete');
    this.finishing = true;
    try {
      fsyncSync(staged.fd);
      const compressed = readFileSync(join(this.dir, PART));
      const body = await openTransferred(staged.manifest, compressed);
      closeSync(staged.fd);
      this.staged = undefined;
      renameSync(join(this.dir, PART), target);
      rmSync(join(this.dir, MANIFEST), { force: true });
      return { body, manifest: staged.envelope, file: target };
    } finally {
      this.finishing = false;
      if (this.staged === staged) this.discard();
    }
  }

  /**
   * Every chunk is in: the whole is made durable, checked against the manifest (read in slices, never
   * held whole) and moved to `target`, still compressed and unparsed — the caller reads it from there
   * (controller/snapshot-lines.ts). The staging is cleared either way.
   */
  complete(target: string): { manifest: SnapshotManifest; envelope: Envelope; file: string } {
    const staged = this.staged;
    if (!staged || staged.have.some((h) => !h)) throw new Error('transfer incomplete');
    try {
      fsyncSync(staged.fd);
      checkBodyFile(join(this.dir, PART), staged.manifest);
      closeSync(staged.fd);
      this.staged = undefined;
      renameSync(join(this.dir, PART), target);
      rmSync(join(this.dir, MANIFEST), { force: true });
      return { manifest: staged.manifest, envelope: staged.envelope, file: target };
    } finally {
      if (this.staged === staged) this.discard();
    }
  }

  /** Drops the staged transfer (superseded, refused, or installed by other means). */
  discard(): void {
    if (this.staged) closeSync(this.staged.fd);
    this.staged = undefined;
    rmSync(join(this.dir, MANIFEST), { force: true });
    rmSync(join(this.dir, PART), { force: true });
  }

  close(): void {
    if (this.staged) closeSync(this.staged.fd);
    this.staged = undefined;
  }
}
