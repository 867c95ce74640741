import { decide } from '../src/core/decide.ts';
import { SiteEngine } from '../src/core/engine.ts';
import { compilePolicy } from '../src/core/policy.ts';
import { BENCH_SIZE, generateSite } from './site-generator.ts';
import { at } from './time.ts';

const policy = compilePolicy(generateSite(BENCH_SIZE));
const people = [...policy.people.values()];
const N = 200000;
const reqs = Array.from({ length: N }, (_, i) => {
  const p = people[(i * 7919) % people.length]!;
  const c = policy.credentialsOf.get(p.id)![0]!;
  return { door: policy.doorList[(i * 31) % 1000]!.id, side: 'in' as const, credential: c.key, pin: c.pin };
});
const t = at('2026-01-06T10:00');
const e = new SiteEngine(policy, t);
for (let r = 0; r < 3; r++) {
  let s = performance.now();
  for (let i = 0; i < N; i++) decide(policy, e.state, reqs[i]!, t + i);
  console.log('decide only', (((performance.now() - s) * 1000) / N).toFixed(2), 'µs');
  s = performance.now();
  for (let i = 0; i < N; i++) e.present(reqs[i]!, t + i);
  console.log('present', (((performance.now() - s) * 1000) / N).toFixed(2), 'µs');
}
