// Decision benchmark (DESIGN.md §7): 100,000 people, 1,000 doors, 5,000 access levels, every rule in
// use. Measures Monban's full decision (decide + apply) on one core, beside two references run on the
// same data in the same process: a bare baseline (credential hash lookup + precomputed allowed-doors
// bit test, the floor no rule engine can beat) and node-casbin doing the equivalent
// person → group → level → door + schedule check.

import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import type { AccessRequest } from '../src/core/decide.ts';
import { localMoment } from '../src/core/door-mode.ts';
import { SiteEngine } from '../src/core/engine.ts';
import { compilePolicy, type Policy } from '../src/core/policy.ts';
import { isScheduleActive } from '../src/core/schedule.ts';
import { BENCH_SIZE, generateSite, rng, type SiteSize } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';
import { at } from './time.ts';

export interface CoreBenchReport {
  size: SiteSize;
  compileMs: number;
  monban: { latency: LatencyStats; perSecond: number; grants: number; denies: number };
  baseline: { latency: LatencyStats; perSecond: number };
  casbin: { latency: LatencyStats; perSecond: number; loadMs: number; requests: number };
}

interface Workload {
  requests: AccessRequest[];
  times: Float64Array;
}

function makeWorkload(policy: Policy, count: number, seed: number): Workload {
  const random = rng(seed);
  const people = policy.people;
  const requests: AccessRequest[] = [];
  const times = new Float64Array(count);
  let now = at('2026-01-06T08:00'); // a Tuesday
  for (let i = 0; i < count; i++) {
    const person = Math.floor(random() * people.length);
    const credential = people.credential(people.credentialIndices(person)[0]!);
    const levels = people.levelIndices(person);
    let door = policy.doorList[Math.floor(random() * policy.doorList.length)]!;
    if (random() < 0.8 && levels.length > 0) {
      // Mostly doors the person may use, as in real traffic.
      const level = policy.levelList[levels[Math.floor(random() * levels.length)]!]!;
      const candidates: number[] = [];
      level.doorBits.forEach((word, w) => {
        for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) candidates.push(w * 32 + bit);
      });
      door = policy.doorList[candidates[Math.floor(random() * candidates.length)]!] ?? door;
    }
    const request: AccessRequest = {
      door: door.id,
      side: random() < 0.7 ? 'in' : 'out',
      credential: credential.key,
    };
    if (random() < 0.9 && credential.pin !== undefined) request.pin = credential.pin;
    requests.push(request);
    now += 40; // 25 presentations a second across the site
    times[i] = now;
  }
  return { requests, times };
}

/** Times `fn(i)` one call at a time for latency, then in one loop for throughput. */
function measure(
  count: number,
  fn: (i: number) => void,
  warmup: number,
): { latency: LatencyStats; perSecond: number } {
  for (let i = 0; i < warmup; i++) fn(i % count);
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn(i);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { latency: latencyStats(samples), perSecond: count / seconds };
}

const CASBIN_MODEL = `
[request_definition]
r = sub, obj, time
[policy_definition]
p = sub, obj, sched
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.obj == p.obj && g(r.sub, p.sub) && scheduleActive(p.sched, r.time)
`;

export async function runCoreBench(
  progress: Progress,
  size: SiteSize = BENCH_SIZE,
  decisions = 200_000,
  casbinRequests = 300,
): Promise<CoreBenchReport> {
  progress(`generating a site: ${size.people} people, ${size.doors} doors, ${size.levels} levels…`);
  const def = generateSite(size);
  const t0 = performance.now();
  const policy = compilePolicy(def);
  const compileMs = performance.now() - t0;
  const workload = makeWorkload(policy, decisions, 7);

  progress(`Monban: ${decisions} decisions (decide + apply state changes)…`);
  // A fresh engine per pass so both passes see the same sequence of states.
  let engine = new SiteEngine(policy, workload.times[0]!);
  let grants = 0;
  let denies = 0;
  const run = (i: number) => {
    const d = engine.present(workload.requests[i]!, workload.times[i]!);
    if (d.result === 'grant') grants++;
    else denies++;
  };
  for (let i = 0; i < 20_000; i++) run(i);
  engine = new SiteEngine(policy, workload.times[0]!);
  grants = 0;
  denies = 0;
  const monban = measure(
    decisions,
    (i) => {
      if (i === 0) engine = new SiteEngine(policy, workload.times[0]!);
      run(i);
    },
    0,
  );
  const grantShare = { grants: grants / 2, denies: denies / 2 };

  progress('baseline: credential lookup + allowed-doors bit test…');
  const words = Math.ceil(policy.doorList.length / 32);
  const personIndex = new Map<string, number>();
  const allowed = new Uint32Array(policy.people.length * words);
  for (const person of policy.people.indices()) {
    for (const level of policy.people.levelIndices(person))
      for (let w = 0; w < words; w++) allowed[person * words + w]! |= policy.levelList[level]!.doorBits[w]!;
  }
  for (const credential of policy.credentials.values())
    personIndex.set(credential.key, credential.personIndex);
  const doorIndex = new Map(policy.doorList.map((d) => [d.id, d.index]));
  let sink = 0;
  const baseline = measure(
    decisions,
    (i) => {
      const r = workload.requests[i]!;
      const p = personIndex.get(r.credential);
      const d = doorIndex.get(r.door)!;
      if (p !== undefined && (allowed[p * words + (d >>> 5)]! & (1 << (d & 31))) !== 0) sink++;
    },
    20_000,
  );
  if (sink < 0) throw new Error('unreachable');

  progress('node-casbin: loading the same people, groups, levels and doors…');
  const lines: string[] = [];
  for (const level of def.levels)
    for (const door of level.doors) lines.push(`p, ${level.id}, ${door}, ${level.schedule ?? 'always'}`);
  for (const group of def.groups)
    for (const level of group.levels ?? []) lines.push(`g, ${group.id}, ${level}`);
  for (const person of def.people) {
    for (const group of person.groups ?? []) lines.push(`g, ${person.id}, ${group}`);
    for (const level of person.levels ?? []) lines.push(`g, ${person.id}, ${level}`);
  }
  const t1 = performance.now();
  const report = (casbin: CoreBenchReport['casbin']): CoreBenchReport => ({
    size,
    compileMs,
    monban: { ...monban, ...grantShare },
    baseline,
    casbin,
  });
  if (casbinRequests === 0) {
    // Quick runs (profiling the core alone) skip casbin's long load.
    return report({
      latency: latencyStats(Float64Array.of(Number.NaN)),
      perSecond: Number.NaN,
      loadMs: 0,
      requests: 0,
    });
  }
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(lines.join('\n')));
  enforcer.addFunction('scheduleActive', (schedule: string, time: number) => {
    const compiled = policy.schedules.get(schedule);
    return compiled === undefined || isScheduleActive(compiled, localMoment(policy, time));
  });
  const loadMs = performance.now() - t1;
  progress(`node-casbin: ${casbinRequests} decisions…`);
  const casbinSamples = new Float64Array(casbinRequests);
  const personOf = (key: string) => policy.credentials.get(key)?.personId ?? '';
  const c0 = process.hrtime.bigint();
  for (let i = 0; i < casbinRequests; i++) {
    const r = workload.requests[i]!;
    const s = process.hrtime.bigint();
    // The credential → person lookup is part of the equivalent check.
    await enforcer.enforce(personOf(r.credential), r.door, workload.times[i]!);
    casbinSamples[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const casbinSeconds = Number(process.hrtime.bigint() - c0) / 1e9;

  return report({
    latency: latencyStats(casbinSamples),
    perSecond: casbinRequests / casbinSeconds,
    loadMs,
    requests: casbinRequests,
  });
}
