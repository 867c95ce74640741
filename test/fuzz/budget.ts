// How long each fuzzer runs: a few seconds to a minute each inside `npm test` (CI), and as long as
// MONBAN_FUZZ_SECONDS says in the nightly long mode (`npm run fuzz`). The seed is printed and can be
// set with MONBAN_FUZZ_SEED to replay a failure.
export function fuzzBudgetMs(ciSeconds: number): number {
  const long = Number(process.env.MONBAN_FUZZ_SECONDS);
  return (Number.isFinite(long) && long > 0 ? long : ciSeconds) * 1000;
}

export function fuzzSeed(): number {
  const given = Number(process.env.MONBAN_FUZZ_SEED);
  return Number.isSafeInteger(given) && given > 0 ? given : (Date.now() % 2_147_483_647) + 1;
}

/** xorshift32: small, fast, reproducible from its seed. */
export function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

/** Extra time a fuzz test may take beyond its budget (start-up, the last request, the report). */
export const FUZZ_SLACK_MS = 60_000;
