// Keyed MAC chains for the audit log and the access-event history (R-SEC-4, issue 10). Each record's
// MAC is HMAC-SHA256 under a key derived from the installation key (a file, never in the database)
// over the previous record's MAC and the record's canonical bytes, so whoever can write the database
// but not read the key can neither edit, reorder nor insert a record without breaking its MAC.
// Removing records from the end, or all of them, leaves a valid shorter chain: that is what the
// signed checkpoints written outside the database (audit/anchors.ts) are for.
//
// Verification never stops at the first bad record: `verifyChain` classifies every position and
// reports each broken span (changed, missing, truncated after the last checkpoint, all deleted).

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface ChainKeys {
  audit: Buffer;
  events: Buffer;
}

export function chainKeys(installationKey: Uint8Array): ChainKeys {
  if (installationKey.length < 32) throw new RangeError('the installation key must be at least 32 bytes');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', installationKey, 'monban', info, 32));
  return { audit: derive('audit chain mac v1'), events: derive('event chain mac v1') };
}

/** The MAC of one link: previous MAC, then the record's canonical bytes (UTF-8 of canonical JSON). */
export function linkMac(key: Buffer, prev: string, canonical: string): string {
  // One update of the same bytes (the hex MAC is ASCII): a third cheaper than three, per event.
  return createHmac('sha256', key).update(`${prev}\n${canonical}`, 'utf8').digest('hex');
}

export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The MAC that seals a record pseudonymised by an erasure (lifecycle/redaction.ts): over the chain,
 * the position, the record's original MAC (which the next record still chains from) and the bytes it
 * now holds. Whoever lacks the key can no more forge a seal than a link.
 */
export function sealMac(key: Buffer, chain: string, index: number, mac: string, canonical: string): string {
  return createHmac('sha256', key)
    .update(`monban chain seal v1\n${chain}\n${index}\n${mac}\n`)
    .update(canonical, 'utf8')
    .digest('hex');
}

/** The MAC of a chain's floor after a purge: it now starts at `first`, after the record with `prevMac`. */
export function floorMac(key: Buffer, chain: string, first: number, prevMac: string): string {
  return createHmac('sha256', key)
    .update(`monban chain floor v1\n${chain}\n${first}\n${prevMac}`)
    .digest('hex');
}

/** What a purge and erasures left on a chain: where it starts now, and the sealed positions. */
export interface ChainOverlay {
  floor?: { first: number; prevMac: string };
  seals: ReadonlyMap<number, string>;
}

/** One stored link as verification reads it back. */
export interface StoredLink {
  index: number;
  /**
   * the previous MAC as stored with the record (audit log); absent where rows do not store it
   * (events, to keep them small): the previous row's MAC is used, and right after a gap, which is
   * reported itself, the first row cannot be checked on its own
   */
  prev?: string;
  mac: string;
  /** the canonical bytes of the record as stored, for the position it claims */
  canonical: string;
  /** the record was pseudonymised by an erasure: its seal (sealMac) vouches for what it holds now */
  seal?: string;
}

export type SpanProblem = 'changed' | 'missing' | 'truncated' | 'deleted' | 'differs_from_checkpoint';

export interface BrokenSpan {
  /** `audit`, or `events:<controller id>` */
  chain: string;
  from: number;
  to: number;
  problem: SpanProblem;
  message: string;
}

export interface ChainVerdict {
  chain: string;
  records: number;
  /** the highest position found in the database */
  head: number;
  spans: BrokenSpan[];
}

const WHAT: Record<SpanProblem, string> = {
  changed: 'changed, reordered or forged after being written',
  missing: 'missing (deleted from the middle)',
  truncated: 'missing at the end (the chain was cut back)',
  deleted: 'all missing (every record was deleted)',
  differs_from_checkpoint: 'not the record the last checkpoint saw',
};

function span(chain: string, label: string, from: number, to: number, problem: SpanProblem): BrokenSpan {
  const where = from === to ? `${label} #${from}` : `${label}s #${from}–#${to}`;
  return { chain, from, to, problem, message: `${chain}: ${where} ${WHAT[problem]}` };
}

/**
 * Checks every link of one chain, given its stored links in position order (read in pages by the
 * caller) and the last checkpoint's head for it, if any. Collects every broken span.
 */
export class ChainChecker {
  private readonly spans: BrokenSpan[] = [];
  private expected = 1;
  private prevMac = GENESIS;
  private prevOk = true;
  private records = 0;
  private open: { from: number; to: number; problem: SpanProblem } | undefined;
  private lastMac: string | undefined;
  /** stored MACs of the broken stretch just passed (events: a moved record's predecessor is among them) */
  private broken: string[] = [];

  private floor: { first: number; prevMac: string } | undefined;

  constructor(
    private readonly chain: string,
    private readonly key: Buffer,
    private readonly label = 'record',
  ) {}

  /**
   * The chain was purged up to `first - 1` (a verified floor): it starts there, after `prevMac`. An
   * unverified floor must not be given: the purged records are then reported missing, as they should.
   */
  startAt(floor: { first: number; prevMac: string }): void {
    this.floor = floor;
    this.expected = floor.first;
    this.prevMac = floor.prevMac;
    this.prevOk = true;
  }

  /** Marks positions from..to with a problem (undefined: sound), merging with the open span. */
  private mark(from: number, to: number, problem: SpanProblem | undefined): void {
    if (this.open && (problem !== this.open.problem || from !== this.open.to + 1)) {
      this.spans.push(span(this.chain, this.label, this.open.from, this.open.to, this.open.problem));
      this.open = undefined;
    }
    if (problem === undefined) return;
    if (this.open) this.open.to = to;
    else this.open = { from, to, problem };
  }

  add(link: StoredLink): void {
    if (link.index > this.expected) {
      this.mark(this.expected, link.index - 1, 'missing');
      this.prevOk = false;
    }
    this.records++;
    // A record is sound when its MAC is right for what it holds and it follows the record before it
    // (when that one is sound too; after a gap, its own MAC vouches for the link it claims).
    const afterGap = link.index !== (this.floor?.first ?? 1) && link.index !== this.expected;
    let ok: boolean;
    if (link.seal !== undefined) {
      // Pseudonymised: the seal covers what it holds now and its original MAC; the link to the
      // record before is checked where the prev MAC is stored, and the next record chains from it.
      const sealOk = sameMac(sealMac(this.key, this.chain, link.index, link.mac, link.canonical), link.seal);
      const linkOk = link.prev === undefined || !this.prevOk || afterGap || link.prev === this.prevMac;
      ok = sealOk && linkOk;
    } else if (link.prev === undefined) {
      // Just after a broken stretch (records moved within it), the true predecessor may be any of it.
      const candidates = link.index === 1 ? [GENESIS] : [this.prevMac, ...this.broken];
      ok = afterGap || candidates.some((prev) => sameMac(linkMac(this.key, prev, link.canonical), link.mac));
    } else {
      const macOk = sameMac(linkMac(this.key, link.prev, link.canonical), link.mac);
      const linkOk = !this.prevOk || afterGap || link.prev === this.prevMac;
      const genesisOk = link.index !== 1 || link.prev === GENESIS;
      ok = macOk && linkOk && genesisOk;
    }
    this.mark(link.index, link.index, ok ? undefined : 'changed');
    this.prevOk = ok;
    if (ok) this.broken = [];
    else if (this.broken.length < 64) this.broken.push(link.mac);
    this.prevMac = link.mac;
    this.lastMac = link.mac;
    this.expected = link.index + 1;
  }

  finish(checkpoint: { index: number; mac: string } | undefined): ChainVerdict {
    const head = this.expected - 1;
    // The checkpoint named a record since purged: the floor remembers its MAC.
    if (checkpoint && this.floor && checkpoint.index === this.floor.first - 1)
      this.checkpointMac = this.floor.prevMac;
    if (checkpoint && checkpoint.index > 0) {
      if (head === 0) this.mark(1, checkpoint.index, 'deleted');
      else if (head < checkpoint.index) this.mark(head + 1, checkpoint.index, 'truncated');
    }
    this.mark(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, undefined);
    // The record the checkpoint named must still be the one there (a chain rebuilt with the key is
    // the one thing the MACs alone cannot tell).
    if (checkpoint && checkpoint.index > 0 && head >= checkpoint.index && this.checkpointMac !== undefined)
      if (!sameMac(this.checkpointMac, checkpoint.mac))
        this.spans.push(
          span(this.chain, this.label, checkpoint.index, checkpoint.index, 'differs_from_checkpoint'),
        );
    return { chain: this.chain, records: this.records, head, spans: this.spans };
  }

  /** The stored MAC at the checkpoint's position, remembered by the caller while paging. */
  checkpointMac: string | undefined;

  get last(): string | undefined {
    return this.lastMac;
  }
}
