// The controller's policy on disk: the last whole snapshot the server sent and the deltas since,
// each exactly as signed by the server. Loading checks every signature, so a file changed on disk is
// refused; writing replaces the file atomically after an fsync, so a power cut leaves the old or the
// new policy, never half of one.

import type { KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Envelope, Opener } from '../contracts/envelope.ts';
import { parseMessage, type Snapshot, type SnapshotDelta } from '../contracts/messages.ts';

const FILE = 'snapshot.json';

interface Chain {
  base: Envelope;
  deltas: Envelope[];
}

/** The snapshot after a delta: its people replaced, added or removed; everything else as it was. */
export function applyDelta(snapshot: Snapshot, delta: SnapshotDelta): Snapshot {
  const removed = new Set(delta.remove);
  const upserts = new Map(delta.upsert.map((p) => [String(p.id), p]));
  const people = (snapshot.site.people as { id: string }[])
    .filter((p) => !removed.has(p.id) && !upserts.has(p.id))
    .concat([...upserts.values()] as unknown as { id: string }[]);
  return {
    ...snapshot,
    version: delta.version,
    issuedAt: delta.issuedAt,
    emergency: delta.emergency,
    site: { ...snapshot.site, people: people as unknown as Snapshot['site'][string] },
  };
}

export class SnapshotStore {
  private chain: Chain | undefined;

  constructor(
    private readonly dir: string,
    private readonly serverKey: KeyObject,
  ) {}

  /** The stored policy, checked; undefined when there is none; throws naming why it is refused. */
  load(): Snapshot | undefined {
    const path = join(this.dir, FILE);
    if (!existsSync(path)) return undefined;
    const chain = JSON.parse(readFileSync(path, 'utf8')) as Chain;
    // Signed by the server like any message, in the order it sent them.
    const opener = new Opener((sender) => (sender === 'server' ? this.serverKey : undefined));
    const open = (raw: unknown) => {
      const opened = opener.open(raw);
      if (!opened.ok) throw new Error(opened.reason);
      const parsed = parseMessage(opened.envelope.body);
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

  saveWhole(envelope: Envelope): void {
    this.write({ base: envelope, deltas: [] });
  }

  appendDelta(envelope: Envelope): void {
    if (!this.chain) throw new Error('a delta needs a whole snapshot first');
    this.write({ base: this.chain.base, deltas: [...this.chain.deltas, envelope] });
  }

  private write(chain: Chain): void {
    const path = join(this.dir, FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(chain), { mode: 0o600 });
    const fd = openSync(`${path}.tmp`, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${path}.tmp`, path);
    this.chain = chain;
  }
}
