// The controller's policy on disk: the last whole snapshot the server sent and the deltas since,
// each exactly as signed by the server — a message's envelope, or for one that came chunked
// (snapshot-transfer.ts) the signed manifest and the compressed body it names, in a file of its own.
// Loading checks every signature and every body against its manifest, so a file changed on disk is
// refused; writing replaces the chain file atomically after an fsync, so a power cut leaves the old
// or the new policy, never half of one. Body files no longer named by the chain are deleted after.

import type { KeyObject } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { Json } from '../contracts/canonical.ts';
import { type Envelope, Opener } from '../contracts/envelope.ts';
import {
  type Message,
  parseMessage,
  SITE_COLLECTIONS,
  type Snapshot,
  type SnapshotDelta,
  type SnapshotManifest,
} from '../contracts/messages.ts';
import { openTransferredSync } from '../contracts/transfer.ts';
import type { SnapshotBase } from './snapshot-source.ts';

const FILE = 'snapshot.json';
/** Bodies of transferred snapshots and deltas: `transfer-<id>.gz` beside the chain. */
const BODY = /^transfer-[0-9a-z-]+\.gz$/;
/** A body's store sizes (snapshot-source.ts writeSizes): `transfer-<id>.gz.sizes`, a hint. */
const SIZES = /^(transfer-[0-9a-z-]+\.gz)\.sizes(\.tmp)?$/;

/** A transferred message as stored: its signed manifest and its body file (name, in the data dir). */
export interface TransferredEntry {
  manifest: Envelope;
  file: string;
}

/** One stored policy message: signed whole, or transferred. */
export type StoredEntry = Envelope | TransferredEntry;

interface Chain {
  base: StoredEntry;
  deltas: StoredEntry[];
}

type Entry = { id: string } & Record<string, Json>;

/** A list with some entries replaced or added (by id, in place or at the end) and some removed. */
function changedList(list: Entry[], upsert: readonly Json[], remove: readonly string[]): Entry[] {
  const removed = new Set(remove);
  const upserts = new Map((upsert as Entry[]).map((e) => [String(e.id), e]));
  const kept = list.filter((e) => !removed.has(e.id)).map((e) => upserts.get(e.id) ?? e);
  const present = new Set(kept.map((e) => e.id));
  return kept.concat([...upserts.values()].filter((e) => !present.has(e.id)));
}

/** The snapshot after a delta: what it names replaced, added or removed; everything else as it was. */
export function applyDelta(snapshot: Snapshot, delta: SnapshotDelta): Snapshot {
  const site: Record<string, Json> = { ...snapshot.site, ...delta.set };
  site.people = changedList((snapshot.site.people ?? []) as Entry[], delta.upsert, delta.remove);
  for (const key of SITE_COLLECTIONS) {
    const change = delta.changes?.[key];
    if (change) site[key] = changedList((site[key] ?? []) as Entry[], change.upsert, change.remove);
  }
  return {
    ...snapshot,
    version: delta.version,
    issuedAt: delta.issuedAt,
    emergency: delta.emergency,
    offlineDeny: delta.offlineDeny ?? snapshot.offlineDeny,
    site,
  };
}

/** Whether a delta changes more than people (the controller then compiles the site anew). */
export function changesStructure(delta: SnapshotDelta): boolean {
  return (
    Object.keys(delta.changes ?? {}).length > 0 ||
    Object.keys(delta.set ?? {}).length > 0 ||
    delta.offlineDeny !== undefined
  );
}

const isTransferred = (entry: StoredEntry): entry is TransferredEntry => 'manifest' in entry;

export class SnapshotStore {
  private chain: Chain | undefined;

  constructor(
    private readonly dir: string,
    private readonly serverKey: KeyObject,
  ) {}

  /** Where a transferred body is kept (the receiver moves it there once it is verified). */
  bodyPath(transfer: string): string {
    return join(this.dir, `transfer-${transfer}.gz`);
  }

  /**
   * The stored policy as its parts, checked — every signature, the chain's order, each delta's body —
   * except the base's transferred body, which is checked against its manifest as it is read
   * (controller/snapshot-lines.ts), never held whole. Undefined when there is none; throws naming why
   * it is refused.
   */
  open(): { base: SnapshotBase; deltas: SnapshotDelta[] } | undefined {
    const chain = this.readChain();
    if (!chain) return undefined;
    const { message, manifestOf } = this.opener();
    let base: SnapshotBase;
    if (isTransferred(chain.base)) {
      const manifest = manifestOf(chain.base);
      if (manifest.payload !== 'snapshot') throw new Error('not a snapshot');
      base = { kind: 'file', path: join(this.dir, chain.base.file), manifest };
    } else {
      const snapshot = message(chain.base);
      if (snapshot.kind !== 'snapshot') throw new Error('not a snapshot');
      base = { kind: 'message', snapshot };
    }
    const deltas: SnapshotDelta[] = [];
    let version = base.kind === 'file' ? base.manifest.version : base.snapshot.version;
    for (const entry of chain.deltas) {
      const delta = this.openEntry(entry);
      if (delta.kind !== 'snapshot-delta' || delta.base !== version) throw new Error('broken delta chain');
      deltas.push(delta);
      version = delta.version;
    }
    this.chain = chain;
    return { base, deltas };
  }

  private readChain(): Chain | undefined {
    const path = join(this.dir, FILE);
    if (!existsSync(path)) return undefined;
    const chain = JSON.parse(readFileSync(path, 'utf8')) as Chain;
    return { base: chain.base, deltas: chain.deltas ?? [] };
  }

  private opener() {
    const opener = new Opener((sender) => (sender === 'server' ? this.serverKey : undefined));
    const message = (raw: unknown): Message => {
      const opened = opener.open(raw);
      if (!opened.ok) throw new Error(opened.reason);
      const parsed = parseMessage(opened.envelope.body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.message;
    };
    const manifestOf = (entry: TransferredEntry): SnapshotManifest => {
      const manifest = message(entry.manifest);
      if (manifest.kind !== 'snapshot-manifest') throw new Error('not a manifest');
      if (!BODY.test(entry.file)) throw new Error('not a transfer body');
      return manifest;
    };
    return { message, manifestOf };
  }

  /** One stored message, whole (a transferred one decompressed: for deltas, small). */
  private openEntry(entry: StoredEntry): Message {
    const { message, manifestOf } = this.opener();
    if (!isTransferred(entry)) return message(entry);
    const body = openTransferredSync(manifestOf(entry), readFileSync(join(this.dir, entry.file)));
    const parsed = parseMessage(body);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.message;
  }

  /**
   * The stored policy as one snapshot object, checked; undefined when there is none; throws naming
   * why it is refused. Holds every person as an object: for tests and tools, not the agent (open).
   */
  load(): Snapshot | undefined {
    const path = join(this.dir, FILE);
    if (!existsSync(path)) return undefined;
    const chain = JSON.parse(readFileSync(path, 'utf8')) as Chain;
    // Signed by the server like any message, in the order it sent them.
    const opener = new Opener((sender) => (sender === 'server' ? this.serverKey : undefined));
    const message = (raw: unknown): Message => {
      const opened = opener.open(raw);
      if (!opened.ok) throw new Error(opened.reason);
      const parsed = parseMessage(opened.envelope.body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.message;
    };
    const open = (entry: StoredEntry): Message => {
      if (!isTransferred(entry)) return message(entry);
      const manifest = message(entry.manifest);
      if (manifest.kind !== 'snapshot-manifest') throw new Error('not a manifest');
      if (!BODY.test(entry.file)) throw new Error('not a transfer body');
      const body = openTransferredSync(manifest, readFileSync(join(this.dir, entry.file)));
      const parsed = parseMessage(body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.message;
    };
    const base = open(chain.base);
    if (base.kind !== 'snapshot') throw new Error('not a snapshot');
    let snapshot = base;
    for (const raw of chain.deltas ?? []) {
      const delta = open(raw);
      if (delta.kind !== 'snapshot-delta' || delta.base !== snapshot.version)
        throw new Error('broken delta chain');
      snapshot = applyDelta(snapshot, delta);
    }
    this.chain = { base: chain.base, deltas: chain.deltas ?? [] };
    return snapshot;
  }

  saveWhole(entry: StoredEntry): void {
    this.write({ base: entry, deltas: [] });
  }

  appendDelta(entry: StoredEntry): void {
    if (!this.chain) throw new Error('a delta needs a whole snapshot first');
    this.write({ base: this.chain.base, deltas: [...this.chain.deltas, entry] });
  }

  /** Stored entry for a transferred body kept at `path` (see bodyPath). */
  static transferred(manifest: Envelope, path: string): TransferredEntry {
    return { manifest, file: basename(path) };
  }

  private write(chain: Chain): void {
    const path = join(this.dir, FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(chain), { mode: 0o600 });
    const fd = openSync(`${path}.tmp`, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${path}.tmp`, path);
    this.chain = chain;
    this.collect();
  }

  /** Deletes body files the chain no longer names (after the chain that drops them is durable). */
  collect(): void {
    const named = new Set(
      [this.chain?.base, ...(this.chain?.deltas ?? [])].flatMap((e) =>
        e && isTransferred(e) ? [e.file] : [],
      ),
    );
    for (const file of readdirSync(this.dir)) {
      const body = SIZES.exec(file)?.[1] ?? file;
      if ((BODY.test(file) || body !== file) && !named.has(body))
        rmSync(join(this.dir, file), { force: true });
    }
  }
}
