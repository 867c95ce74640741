// Signed checkpoints of the chain heads, outside the database (issue 10 §2). Each line of the anchor
// file (DATA_DIR/anchors/checkpoints.jsonl, append-only) records the audit chain's head and the heads
// of the event chains that moved since the line before, the SHA-256 of that line, and an Ed25519
// signature under a key derived from the installation key. Every checkpoint is also written to the
// server log (often shipped elsewhere), and `monban audit checkpoint` prints the latest for keeping
// off the host. Against a checkpoint, removing records from the end of a chain, or all of them, shows.

import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { readChainOverlays } from '../lifecycle/chain-overlays.ts';
import { AuditLog } from '../storage/audit-log.ts';
import { type BrokenSpan, type ChainKeys, type ChainVerdict, chainKeys } from '../storage/chain.ts';
import { EventStore } from '../storage/events.ts';
import type { Database } from '../storage/schema.ts';

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function anchorFileIn(dataDir: string): string {
  return join(dataDir, 'anchors', 'checkpoints.jsonl');
}

export interface Head {
  index: number;
  mac: string;
}

export interface Checkpoint {
  v: 1;
  at: number;
  /** SHA-256 of the previous line as written ('' for the first) */
  prev: string;
  audit: Head;
  /** heads of the event chains that moved since the previous checkpoint */
  events: Record<string, Head>;
  sig: string;
}

export interface AnchorKeys extends ChainKeys {
  signing: KeyObject;
  verifying: KeyObject;
}

export function anchorKeys(installationKey: Uint8Array): AnchorKeys {
  const seed = createHmac('sha256', installationKey).update('monban/audit-checkpoint-key/v1').digest();
  const signing = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return { ...chainKeys(installationKey), signing, verifying: createPublicKey(signing) };
}

function signedBytes(c: Omit<Checkpoint, 'sig'>): Buffer {
  return Buffer.from(JSON.stringify(['monban-checkpoint/v1', c.at, c.prev, c.audit, c.events]));
}

export interface AnchorRead {
  /** heads as the checkpoints saw them last (events folded over every line) */
  audit: Head | undefined;
  events: Map<string, Head>;
  count: number;
  last: Checkpoint | undefined;
  /** problems of the file itself: bad signatures, broken line chain, unreadable lines */
  problems: string[];
}

export function readAnchors(file: string, keys: Pick<AnchorKeys, 'verifying'>): AnchorRead {
  const read: AnchorRead = { audit: undefined, events: new Map(), count: 0, last: undefined, problems: [] };
  if (!existsSync(file)) return read;
  const lines = readFileSync(file, 'utf8').split('\n');
  let prevLine = '';
  lines.forEach((line, i) => {
    if (line === '') return;
    let c: Checkpoint;
    try {
      c = JSON.parse(line) as Checkpoint;
    } catch {
      read.problems.push(`anchor file line ${i + 1} is not a checkpoint`);
      return;
    }
    const { sig, ...body } = c;
    const signatureOk =
      typeof sig === 'string' &&
      verify(null, signedBytes(body), keys.verifying, Buffer.from(sig, 'base64url'));
    if (!signatureOk) {
      read.problems.push(`anchor file line ${i + 1}: signature does not verify (forged or changed)`);
      return;
    }
    const expected = prevLine === '' ? '' : createHash('sha256').update(prevLine).digest('hex');
    if (c.prev !== expected)
      read.problems.push(`anchor file line ${i + 1} does not follow line ${i}: checkpoints were removed`);
    prevLine = line;
    read.count++;
    read.last = c;
    read.audit = c.audit;
    for (const [controllerId, head] of Object.entries(c.events)) read.events.set(controllerId, head);
  });
  return read;
}

/**
 * Appends a checkpoint of the current heads when something moved since the last one; returns it, or
 * undefined when nothing changed. The line is fsynced before this returns.
 */
export async function writeCheckpoint(
  db: Kysely<Database>,
  keys: AnchorKeys,
  file: string,
  now: number,
): Promise<Checkpoint | undefined> {
  const before = readAnchors(file, keys);
  const audit = await new AuditLog(db, keys.audit).head();
  const heads = await new EventStore(db, keys.events).heads();
  const events: Record<string, Head> = {};
  for (const [controllerId, head] of heads) {
    const known = before.events.get(controllerId);
    if (!known || known.index !== head.index || known.mac !== head.mac) events[controllerId] = head;
  }
  const auditMoved = !before.audit || before.audit.index !== audit.index || before.audit.mac !== audit.mac;
  if (!auditMoved && Object.keys(events).length === 0 && before.count > 0) return undefined;
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  const last = lines.at(-1);
  const body = {
    v: 1 as const,
    at: now,
    prev: last === undefined ? '' : createHash('sha256').update(last).digest('hex'),
    audit,
    events,
  };
  const checkpoint: Checkpoint = {
    ...body,
    sig: sign(null, signedBytes(body), keys.signing).toString('base64url'),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return checkpoint;
}

export interface ChainsReport {
  ok: boolean;
  audit: ChainVerdict;
  events: ChainVerdict[];
  /** every broken span of every chain, and problems of the anchor file */
  spans: BrokenSpan[];
  anchors: { file: string; checkpoints: number; lastAt: number | null; problems: string[] };
}

/** Verifies both chains against the anchor file; reports every broken span, not only the first. */
export async function verifyChains(
  db: Kysely<Database>,
  keys: AnchorKeys,
  file: string,
): Promise<ChainsReport> {
  const anchors = readAnchors(file, keys);
  // Where retention purges left the chains starting, and the records erasures sealed (lifecycle/).
  const overlays = await readChainOverlays(db, keys);
  const audit = await new AuditLog(db, keys.audit).verify(anchors.audit, overlays.audit);
  const events = await new EventStore(db, keys.events).verify(anchors.events, overlays.events);
  const problems = [...anchors.problems, ...overlays.problems];
  if (anchors.count === 0 && (audit.records > 0 || events.some((e) => e.records > 0)))
    problems.push('no checkpoint found: removal of records from the end cannot be ruled out');
  const spans = [audit, ...events].flatMap((v) => v.spans);
  return {
    ok: spans.length === 0 && problems.length === 0,
    audit,
    events,
    spans,
    anchors: { file, checkpoints: anchors.count, lastAt: anchors.last?.at ?? null, problems },
  };
}

/**
 * Writes a checkpoint now, then every `intervalMs` while something moved, and once more at stop():
 * the window in which records could be removed from the end unseen is at most one interval. Each
 * checkpoint also goes to the log, which is often shipped off the host.
 */
export async function startCheckpoints(options: {
  db: Kysely<Database>;
  keys: AnchorKeys;
  file: string;
  intervalMs: number;
  logger: { info(o: object, m: string): void; error(o: object, m: string): void };
  now?: () => number;
}): Promise<{ stop(): Promise<void> }> {
  const now = options.now ?? Date.now;
  let running: Promise<unknown> = Promise.resolve();
  const once = () => {
    running = running
      .then(() => writeCheckpoint(options.db, options.keys, options.file, now()))
      .then((c) => {
        if (c)
          options.logger.info(
            { checkpoint: { at: c.at, audit: c.audit, events: Object.keys(c.events).length, sig: c.sig } },
            'audit checkpoint',
          );
      })
      .catch((error: unknown) =>
        options.logger.error({ err: { message: (error as Error).message } }, 'audit checkpoint not written'),
      );
    return running;
  };
  await once();
  const timer = setInterval(() => void once(), options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await once();
    },
  };
}
