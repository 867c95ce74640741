// The controller's compact policy decides exactly as the reference does (fast-check, random sites):
// the reference is the core's compilePolicy of the whole site as objects — the snapshot with its
// deltas applied as objects (applyDelta), under the offline fallback its non-emergency people made
// inactive, while the server is lost the offline-deny doors locked. The compact one is what the agent
// holds: compiled line by line from a transferred body file (synchronously as at a restart, and as a
// stream as after a transfer), deltas applied to the compiled policy (people in place, a structure
// that keeps its groups and levels shared, one that renumbers them compiled again from the file),
// the fallback and the locked doors derived from it. Its configuration hash is the same however the
// same policy arrived.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, type Json } from '../../src/contracts/canonical.ts';
import type { Snapshot, SnapshotDelta } from '../../src/contracts/messages.ts';
import { prepareTransfer, sha256Hex } from '../../src/contracts/transfer.ts';
import {
  compileBaseSync,
  compileLines,
  type HeldPolicy,
  heldAfterDelta,
  heldHash,
  sizesPath,
} from '../../src/controller/snapshot-source.ts';
import { applyDelta } from '../../src/controller/snapshot-store.ts';
import { decide } from '../../src/core/decide.ts';
import type { CredentialDef, PersonDef, SiteDef } from '../../src/core/model.ts';
import { compilePolicy, type Policy, withOnlyActive, withStructure } from '../../src/core/policy.ts';
import { createState } from '../../src/core/state.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T09:00');
const DOORS = ['F', 'L', 'K'];
const dir = mkdtempSync(join(tmpdir(), 'monban-snapshot-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const idArb = fc.oneof(hex(64), hex(8), fc.stringMatching(/^[A-Za-z0-9é-]{1,10}$/));

const credentialArb: fc.Arbitrary<CredentialDef> = fc
  .record({
    type: fc.constantFrom('card' as const, 'card' as const, 'mobile' as const, 'pin' as const),
    id: idArb,
    pin: fc.option(fc.oneof(hex(64), fc.constantFrom('1111', '2222')), { nil: undefined }),
    state: fc.constantFrom('active' as const, 'active' as const, 'lost' as const),
    maxUses: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    validUntil: fc.option(fc.constantFrom('2026-01-05T08:00', '2026-02-01T00:00'), { nil: undefined }),
  })
  .map(({ type, id, pin, state, maxUses, validUntil }) => ({
    ...(type === 'pin' ? { type, pin: `p${id}` } : { type, id, ...(pin !== undefined && { pin }) }),
    ...(type === 'mobile' && { publicKey: `key-of-${id}` }),
    state,
    ...(maxUses !== undefined && { maxUses }),
    ...(validUntil !== undefined && { validUntil }),
  }));

const keyOf = (c: CredentialDef) => (c.type === 'pin' ? `pin:${c.pin}` : `${c.type}:${c.id}`);

const peopleArb = (min: number, max: number): fc.Arbitrary<PersonDef[]> =>
  fc
    .uniqueArray(
      fc.record({
        id: idArb,
        active: fc.constantFrom(true, true, false),
        groups: fc.subarray(['staff', 'night']),
        levels: fc.subarray(['front', 'lab']),
        credentials: fc.array(credentialArb, { maxLength: 3 }),
      }),
      { minLength: min, maxLength: max, selector: (p) => p.id },
    )
    .map((people) => {
      const taken = new Set<string>();
      return people.map((p) => ({
        ...p,
        credentials: p.credentials.filter((c) => {
          if (taken.has(keyOf(c))) return false;
          taken.add(keyOf(c));
          return true;
        }),
      }));
    });

const siteWith = (people: PersonDef[], frontMode: 'card' | 'card+pin' = 'card'): SiteDef =>
  site({
    areas: [{ id: 'room' }, { id: 'lab', parent: 'room' }],
    doors: [
      { id: 'F', from: 'outside', to: 'room', mode: frontMode },
      { id: 'L', from: 'room', to: 'lab', mode: 'card+pin' },
      { id: 'K', from: 'outside', to: 'room', mode: 'pin' },
    ],
    schedules: [{ id: 'day', weekly: { mon: ['08:00-18:00'] } }],
    levels: [
      { id: 'front', doors: ['F', 'K'] },
      { id: 'lab', doors: ['L'], schedule: 'day' },
      { id: 'nights', doors: ['F', 'L'] },
    ],
    groups: [
      { id: 'staff', levels: ['front', 'lab'] },
      { id: 'night', levels: ['nights'] },
    ],
    people,
  });

const snapshotOf = (s: SiteDef, emergency: string[]): Snapshot => ({
  kind: 'snapshot',
  version: 1,
  issuedAt: T0,
  maxAgeMinutes: 60,
  fallback: 'emergency_only',
  emergency,
  offlineDeny: ['lab'],
  site: s as unknown as Record<string, Json>,
});

let files = 0;
/** The snapshot as the server transfers it, its compressed body in a file of its own. */
async function transferred(snapshot: Snapshot) {
  const { manifest, chunks } = await prepareTransfer(snapshot as unknown as Record<string, Json>, 4096);
  const path = join(dir, `body-${files++}.gz`);
  writeFileSync(path, Buffer.concat(chunks));
  return { kind: 'file' as const, path, manifest };
}

/** Every credential (and some strangers) at every door and side, on a fresh state. */
function decisions(policy: Policy, people: readonly PersonDef[], strangers: readonly string[]): unknown[] {
  const state = createState(policy, T0);
  const out: unknown[] = [];
  const keys = [...people.flatMap((p) => p.credentials.map(keyOf)), ...strangers.map((s) => `card:${s}`)];
  const pins = people.flatMap((p) => p.credentials.flatMap((c) => (c.pin ? [c.pin] : [])));
  for (const door of DOORS)
    for (const side of ['in', 'out'] as const)
      for (const credential of keys) {
        const d = decide(policy, state, { door, side, credential, pin: pins[0] ?? '1111' }, T0);
        out.push([d.result, d.reason, d.person, d.credential, d.trace]);
      }
  return out;
}

/** What the agent derives while offline: the fallback's inactive people, the locked doors. */
function derived(held: HeldPolicy, fallback: boolean, lost: boolean): Policy {
  let policy = held.policy;
  if (lost) {
    const s = held.header.site as unknown as SiteDef;
    const deny = new Set(held.header.offlineDeny);
    policy = withStructure(policy, {
      ...s,
      doors: s.doors.map((d) => (deny.has(d.from) || deny.has(d.to) ? { ...d, mode: 'locked' as const } : d)),
    })!;
  }
  return fallback ? withOnlyActive(policy, new Set(held.header.emergency)) : policy;
}

/** The reference: the whole site as objects, compiled by the core. */
function referenceOf(snapshot: Snapshot, fallback: boolean, lost: boolean): Policy {
  let s = snapshot.site as unknown as SiteDef;
  if (fallback) {
    const allowed = new Set(snapshot.emergency);
    s = { ...s, people: s.people.map((p) => (allowed.has(p.id) ? p : { ...p, active: false })) };
  }
  if (lost) {
    const deny = new Set(snapshot.offlineDeny);
    s = {
      ...s,
      doors: s.doors.map((d) => (deny.has(d.from) || deny.has(d.to) ? { ...d, mode: 'locked' as const } : d)),
    };
  }
  return compilePolicy(s);
}

function expectSame(held: HeldPolicy, snapshot: Snapshot, strangers: string[]): void {
  const people = (snapshot.site.people ?? []) as unknown as PersonDef[];
  expect(held.header.version).toBe(snapshot.version);
  expect(held.policy.people.size).toBe(people.length);
  for (const fallback of [false, true])
    for (const lost of [false, true])
      expect(decisions(derived(held, fallback, lost), people, strangers)).toEqual(
        decisions(referenceOf(snapshot, fallback, lost), people, strangers),
      );
  const keys = new Map<string, string>();
  for (const p of people)
    for (const c of p.credentials)
      if (c.type === 'mobile' && c.id && c.publicKey) keys.set(c.id, c.publicKey);
  expect(new Map([...held.mobileKeys].sort())).toEqual(new Map([...keys].sort()));
}

describe('compact controller policy', () => {
  it('decides as the whole site compiled from objects, read from its transferred lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        peopleArb(0, 120),
        fc.array(idArb, { maxLength: 10 }),
        fc.nat(),
        async (people, strangers, pick) => {
          const emergency = people.filter((_, i) => (i + pick) % 3 === 0).map((p) => p.id);
          const snapshot = snapshotOf(siteWith(people), emergency);
          const base = await transferred(snapshot);
          const sync = compileBaseSync(base);
          const streamed = await compileLines(base.path, base.manifest);
          expectSame(sync, snapshot, strangers);
          expectSame(streamed, snapshot, strangers);
          expect(heldHash(streamed)).toBe(heldHash(sync));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decides the same after deltas applied to the compiled policy, and after a restart', async () => {
    await fc.assert(
      fc.asyncProperty(
        peopleArb(3, 150),
        fc.array(
          fc.record({
            cut: fc.nat(),
            removeEvery: fc.integer({ min: 2, max: 6 }),
            structure: fc.constantFrom('none', 'door-mode', 'new-group', 'offline-deny'),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (people, steps) => {
          let present = people.slice(0, Math.ceil(people.length / 2));
          let snapshot = snapshotOf(
            siteWith(present),
            present.slice(0, 2).map((p) => p.id),
          );
          const base = await transferred(snapshot);
          let held = compileBaseSync(base);
          const deltas: SnapshotDelta[] = [];
          let next = present.length;
          for (const [i, { cut, removeEvery, structure }] of steps.entries()) {
            const upsert = people.slice(next, next + 1 + (cut % 40));
            next += upsert.length;
            // Some of those present come again, changed (replaced in place).
            const changed = present
              .filter((_, j) => j % (removeEvery + 1) === 1)
              .map((p) => ({ ...p, active: !p.active }));
            const remove = present.filter((_, j) => j % removeEvery === 0).map((p) => p.id);
            const delta: SnapshotDelta = {
              kind: 'snapshot-delta',
              base: snapshot.version,
              version: snapshot.version + 1,
              issuedAt: T0 + i,
              emergency: present.slice(1, 3).map((p) => p.id),
              upsert: [...upsert, ...changed.filter((p) => !remove.includes(p.id))] as unknown as Record<
                string,
                Json
              >[],
              remove,
              ...(structure === 'door-mode' && {
                changes: {
                  doors: {
                    upsert: [{ id: 'F', from: 'outside', to: 'room', mode: 'card+pin' }],
                    remove: [],
                  },
                },
              }),
              ...(structure === 'new-group' && {
                changes: { groups: { upsert: [{ id: `g${i}`, levels: ['lab'] }], remove: [] } },
              }),
              ...(structure === 'offline-deny' && { offlineDeny: i % 2 === 0 ? [] : ['room'] }),
            };
            deltas.push(delta);
            held = heldAfterDelta(held, delta, () => compileBaseSync(base, deltas));
            snapshot = applyDelta(snapshot, delta);
            const gone = new Set(delta.remove);
            const upserted = new Map(
              (delta.upsert as unknown as PersonDef[]).map((p) => [p.id, p] as [string, PersonDef]),
            );
            present = [
              ...present.filter((p) => !gone.has(p.id) && !upserted.has(p.id)),
              ...upserted.values(),
            ];
          }
          const strangers = people.filter((p) => !present.includes(p)).map((p) => p.id);
          expectSame(held, snapshot, strangers);
          // Restarted: the stored body and the deltas compiled again give the same, and the same hash.
          const restarted = compileBaseSync(base, deltas);
          expectSame(restarted, snapshot, strangers);
          expect(heldHash(restarted)).toBe(heldHash(held));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('sizes a restart from what its install counted: no slack, no sample; an untrue hint is not used', async () => {
    const people = Array.from({ length: 2000 }, (_, i) => ({
      id: `E${i}`,
      groups: i % 3 === 0 ? ['staff', 'night'] : ['staff'],
      credentials: [
        { type: 'card' as const, id: `c${i}`, ...(i % 5 === 0 && { validUntil: '2026-02-01T00:00' }) },
        ...(i % 2 === 0 ? [{ type: 'card' as const, id: `d${i}` }] : []),
      ],
    }));
    const snapshot = snapshotOf(siteWith(people), []);
    const base = await transferred(snapshot);
    const installed = await compileLines(base.path, base.manifest);
    const counted = JSON.parse(readFileSync(sizesPath(base.path), 'utf8'));
    expect(counted).toEqual({
      sha256: base.manifest.sha256,
      people: 2000,
      credentials: 3000,
      entries: 2667,
      extras: 400,
    });
    const restarted = compileBaseSync(base);
    const store = restarted.policy.people.store;
    expect(store.personRows.length).toBe(2000 * 6);
    expect(store.credRows.length).toBe(3000 * 8);
    expect(store.entries.length).toBe(2667);
    expect(store.extraValidUntil.length).toBe(400);
    expectSame(restarted, snapshot, ['nobody']);
    expect(heldHash(restarted)).toBe(heldHash(installed));
    // A hint for another body, or beyond what the body could hold: sized from the sample instead,
    // and the same policy.
    for (const hint of [
      { ...counted, sha256: '0'.repeat(64) },
      { ...counted, people: base.manifest.rawSize },
      { ...counted, extras: counted.credentials + 1 },
      'not json',
    ]) {
      writeFileSync(sizesPath(base.path), typeof hint === 'string' ? hint : JSON.stringify(hint));
      const again = compileBaseSync(base);
      expect(again.policy.people.store.personRows.length).not.toBe(2000 * 6);
      expect(again.policy.people.size).toBe(2000);
      expect(heldHash(again)).toBe(heldHash(installed));
    }
    rmSync(sizesPath(base.path));
    compileBaseSync(base);
    expect(existsSync(sizesPath(base.path))).toBe(true);
  });

  it('reads a snapshot stored as one JSON text (transferred before snapshots went as lines)', async () => {
    const people = [
      { id: 'a', credentials: [{ type: 'card' as const, id: 'c1' }], levels: ['front'] },
      { id: 'b', credentials: [{ type: 'mobile' as const, id: 'm1', publicKey: 'k' }], groups: ['staff'] },
    ];
    const snapshot = snapshotOf(siteWith(people), ['a']);
    const lines = await transferred(snapshot);
    const text = Buffer.from(canonicalJson(snapshot as unknown as Json), 'utf8');
    const compressed = gzipSync(text);
    const path = join(dir, 'body-json.gz');
    writeFileSync(path, compressed);
    const { format: _format, ...rest } = lines.manifest;
    const manifest = {
      ...rest,
      size: compressed.length,
      rawSize: text.length,
      sha256: sha256Hex(compressed),
      chunkSize: compressed.length,
      chunks: [sha256Hex(compressed)],
    };
    const held = compileBaseSync({ kind: 'file', path, manifest });
    expectSame(held, snapshot, ['nobody']);
    expect(heldHash(held)).toBe(heldHash(compileBaseSync(lines)));
  });

  it('reads a body of many slices, as a stream and synchronously, as the whole compile does', async () => {
    // Random 64-hex ids compress to about half: ~2.5 MB compressed, three 1 MiB slices.
    const people = Array.from({ length: 30_000 }, (_, i) => ({
      id: `E${i}`,
      ...(i % 7 === 0 && { active: false }),
      levels: [i % 2 === 0 ? 'front' : 'lab'],
      credentials: [
        { type: 'card' as const, id: randomBytes(32).toString('hex'), pin: randomBytes(32).toString('hex') },
        ...(i % 10 === 0
          ? [{ type: 'mobile' as const, id: randomBytes(32).toString('hex'), publicKey: `k${i}` }]
          : []),
      ],
    }));
    const snapshot = snapshotOf(siteWith(people), []);
    const base = await transferred(snapshot);
    expect(base.manifest.size).toBeGreaterThan(2 << 20);
    const sample = people.filter((_, i) => i % 97 === 0);
    const reference = decisions(compilePolicy(snapshot.site as unknown as SiteDef), sample, ['x']);
    const streamed = await compileLines(base.path, base.manifest);
    const sync = compileBaseSync(base);
    for (const held of [streamed, sync]) {
      expect(held.policy.people.size).toBe(people.length);
      expect(held.mobileKeys.size).toBe(3000);
      expect(decisions(held.policy, sample, ['x'])).toEqual(reference);
    }
    expect(heldHash(streamed)).toBe(heldHash(sync));
  }, 120_000);

  it('refuses a body changed on disk before reading any of it', async () => {
    const people = [{ id: 'a', credentials: [{ type: 'card' as const, id: 'c1' }] }];
    const base = await transferred(snapshotOf(siteWith(people), []));
    const { manifest } = base;
    expect(() => compileBaseSync({ ...base, manifest: { ...manifest, sha256: '0'.repeat(64) } })).toThrow(
      'hash differs',
    );
    await expect(compileLines(base.path, { ...manifest, size: manifest.size + 1 })).rejects.toThrow(
      'size differs',
    );
    expect(() =>
      compileBaseSync({ ...base, manifest: { ...manifest, rawSize: manifest.rawSize - 1 } }),
    ).toThrow('size differs');
  });
});
