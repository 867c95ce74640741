// One controller-capacity measurement in a process of its own (bench/capacity.ts starts it with
// --expose-gc), so its memory figures are this policy's alone. Writes one JSON line to stdout.
//
//   --people N     cardholders (default 2,000,000)
//   --mode stream  people added to a PolicyBuilder in chunks of 10,000, as a controller receiving a
//                  chunked snapshot would: the whole people list never exists at once
//   --mode whole   the whole SiteDef built first, then compilePolicy(site); memory measured while the
//                  definition is held and again after it is dropped
//   --shape snapshot|bench   people as a server snapshot carries them (64-hex credential ids and PIN
//                  hashes) or as the decision benchmark makes them (short ids, four-digit PINs)

import type { AccessRequest } from '../src/core/decide.ts';
import { SiteEngine } from '../src/core/engine.ts';
import type { PersonDef, SiteDef } from '../src/core/model.ts';
import { compilePolicy, type Policy, PolicyBuilder, withPeopleDelta } from '../src/core/policy.ts';
import {
  BENCH_SIZE,
  benchPerson,
  generateSite,
  rng,
  type SiteSize,
  snapshotPerson,
} from './site-generator.ts';
import { latencyStats } from './stats.ts';
import { at } from './time.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const people = Number(arg('people', '2000000'));
const mode = arg('mode', 'stream');
const decisions = Number(arg('decisions', '200000'));
/** `snapshot`: ids and PINs as keyed hashes, as controllers get them; `bench`: short card ids */
const shape = arg('shape', 'snapshot');
const personAt = shape === 'bench' ? benchPerson : snapshotPerson;
const CHUNK = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const MB = 1024 * 1024;
function memory() {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return {
    rssMB: m.rss / MB,
    heapMB: m.heapUsed / MB,
    arrayBuffersMB: m.arrayBuffers / MB,
  };
}

const size: SiteSize = { ...BENCH_SIZE, people };
const structure = generateSite({ ...size, people: 0 });

const baseline = memory();

let policy: Policy;
let compileMs = 0;
/** CPU time of compiling (all threads of the process, so it includes the collector's helpers) */
let compileCpuMs = 0;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let held: ReturnType<typeof memory> | undefined;
if (mode === 'stream') {
  const builder = new PolicyBuilder(structure, { expectedPeople: people });
  for (let start = 0; start < people; start += CHUNK) {
    const chunk: PersonDef[] = [];
    for (let i = start; i < Math.min(people, start + CHUNK); i++) chunk.push(personAt(i, size));
    const t0 = performance.now();
    const c0 = cpu();
    for (const person of chunk) builder.addPerson(person);
    compileMs += performance.now() - t0;
    compileCpuMs += cpu() - c0;
  }
  const t0 = performance.now();
  const c0 = cpu();
  policy = builder.build();
  compileMs += performance.now() - t0;
  compileCpuMs += cpu() - c0;
} else {
  let site: SiteDef | undefined = {
    ...structure,
    people: Array.from({ length: people }, (_, i) => personAt(i, size)),
  };
  const t0 = performance.now();
  const c0 = cpu();
  policy = compilePolicy(site);
  compileMs = performance.now() - t0;
  compileCpuMs = cpu() - c0;
  held = memory();
  site = undefined;
}
const compiled = memory();
const policyBytes = policy.people.store.allocatedBytes;

// The requests, made from the definitions alone once the policy's memory has been measured: mostly
// doors the person may use, as in core.ts.
const doorsOfLevel = new Map(structure.levels.map((l) => [l.id, l.doors]));
const levelsOfGroup = new Map(structure.groups.map((g) => [g.id, g.levels ?? []]));
const random = rng(7);
const requests: AccessRequest[] = [];
const times = new Float64Array(decisions);
let now = at('2026-01-06T08:00');
for (let n = 0; n < decisions; n++) {
  const person = personAt(Math.floor(random() * people), size);
  const card = person.credentials[0]!;
  const levels = [
    ...(person.groups ?? []).flatMap((g) => levelsOfGroup.get(g) ?? []),
    ...(person.levels ?? []),
  ];
  let door = structure.doors[Math.floor(random() * structure.doors.length)]!.id;
  if (random() < 0.8 && levels.length > 0) {
    const doors = doorsOfLevel.get(levels[Math.floor(random() * levels.length)]!)!;
    door = doors[Math.floor(random() * doors.length)]!;
  }
  requests.push({
    door,
    side: random() < 0.7 ? 'in' : 'out',
    credential: `card:${card.id}`,
    ...(random() < 0.9 && card.pin !== undefined && { pin: card.pin }),
  });
  now += 40;
  times[n] = now;
}

let engine = new SiteEngine(policy, times[0]!);
for (let n = 0; n < Math.min(20_000, decisions); n++) engine.present(requests[n]!, times[n]!);
engine = new SiteEngine(policy, times[0]!);
const samples = new Float64Array(decisions);
let grants = 0;
for (let n = 0; n < decisions; n++) {
  const t0 = process.hrtime.bigint();
  const d = engine.present(requests[n]!, times[n]!);
  samples[n] = Number(process.hrtime.bigint() - t0) / 1000;
  if (d.result === 'grant') grants++;
}
const latency = latencyStats(samples);

// A people delta (100 people changed, 100 removed) on the running engine, carried over as a
// controller does with a snapshot delta — against rebuilding the whole policy (compileMs).
const changed = Array.from({ length: 100 }, (_, k) => {
  const p = personAt(k * 9973, size);
  return { ...p, levels: [...(p.levels ?? []), 'level-1'] };
});
const removed = Array.from({ length: 100 }, (_, k) => personAt(k * 7919 + 1, size).id);
// Once to warm the code up (a controller applies many), then the measured one.
const warm = withPeopleDelta(policy, { upsert: changed.slice(0, 10), remove: [] });
const d0 = performance.now();
const next = withPeopleDelta(warm, { upsert: changed, remove: removed });
const deltaMs = performance.now() - d0;
const c0 = performance.now();
engine = new SiteEngine(next, times[decisions - 1]! + 1, engine);
const carryOverMs = performance.now() - c0;

console.log(
  JSON.stringify({
    mode,
    shape,
    people,
    credentials: policy.people.credentialCount,
    compileMs,
    compileCpuMs,
    baseline,
    held,
    compiled,
    policyMB: policyBytes / MB,
    after: memory(),
    latency,
    grants,
    decisions,
    deltaMs,
    carryOverMs,
  }),
);
