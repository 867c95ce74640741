import { runCoreBench } from './core.ts';
import { BENCH_SIZE } from './site-generator.ts';

const r = await runCoreBench(() => {}, BENCH_SIZE, 200_000, 1);
console.log(r.monban);
