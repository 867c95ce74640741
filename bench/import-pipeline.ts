// The import pipeline alone (src/server/imports/pipeline.ts), without the server, the worker thread
// or the API: 100,000 people rows then 100,000 credentials rows (the files of bench/imports.ts) into
// a fresh SQLite file or PostgreSQL database, in this thread. Reported per file: wall time, rows/s,
// the phases, and CPU — this process's, and on PostgreSQL the database backends' serving this
// database (read from /proc, Linux only) — which a loaded machine distorts far less than wall time,
// so two versions can be compared on a machine others share.
//
//   node --import tsx bench/import-pipeline.ts [sqlite|postgres] [rows]
// PostgreSQL needs MONBAN_BENCH_DATABASE_URL (or MONBAN_TEST_DATABASE_URL); report `uptime` with it.

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImportPipeline } from '../src/server/imports/pipeline.ts';
import { openStore, type StoreLocation } from '../src/server/storage/db.ts';
import { scratchDatabase } from './scratch-database.ts';

const engine = process.argv[2] === 'sqlite' ? 'sqlite' : 'postgres';
const rows = Number(process.argv[3] ?? 100_000);
const url = process.env.MONBAN_BENCH_DATABASE_URL || process.env.MONBAN_TEST_DATABASE_URL;
if (engine === 'postgres' && !url) throw new Error('set MONBAN_BENCH_DATABASE_URL for PostgreSQL');

const scratch = engine === 'postgres' ? await scratchDatabase(url!) : undefined;
const file = join(tmpdir(), `monban-import-pipeline-${process.pid}.db`);
const location: StoreLocation = scratch ? { postgresUrl: scratch.url } : { sqliteFile: file };

/** CPU ms of the backends serving the scratch database; sampled, as a backend may end before the last. */
const backends = new Map<number, number>();
const database = scratch ? new URL(scratch.url).pathname.slice(1) : undefined;
function sampleBackends(): number {
  if (!database) return 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(database)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime, in clock ticks of 10 ms
      backends.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return [...backends.values()].reduce((a, b) => a + b, 0);
}
const sampler = setInterval(sampleBackends, 200);

const store = await openStore(location);
try {
  const now = Date.now();
  await store.db
    .insertInto('access_levels')
    .values({
      id: 'office',
      name: 'Office',
      schedule_id: null,
      max_threat_level: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const files = {
    people: [
      'id,name,department,levels',
      ...Array.from({ length: rows }, (_, i) => `p${i},Person ${i},Dept ${i % 50},office`),
    ],
    credentials: [
      'id,personId,type,identifier,label',
      ...Array.from(
        { length: rows },
        (_, i) => `c${i},p${i},card,${(10_000_000 + i).toString(16)},badge ${i}`,
      ),
    ],
  };
  console.log(
    `import pipeline, ${engine}, ${rows.toLocaleString()} rows per file (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  let wall = 0;
  for (const kind of ['people', 'credentials'] as const) {
    const phases: Record<string, number> = {};
    let phase = '';
    let since = performance.now();
    const cpu = process.cpuUsage();
    const db = sampleBackends();
    const t = performance.now();
    const result = await runImportPipeline(
      kind,
      store.db,
      new Uint8Array(32).fill(7),
      Buffer.from(`${files[kind].join('\n')}\n`),
      {
        now: Date.now(),
        jobId: 'bench',
        origin: { actor: 'bench', source: 'bench', via: 'cli' },
        onProgress: (next) => {
          const at = performance.now();
          if (phase) phases[phase] = (phases[phase] ?? 0) + at - since;
          phase = next;
          since = at;
        },
      },
    );
    const end = performance.now();
    phases[phase] = (phases[phase] ?? 0) + end - since;
    if (!result.report.ok) throw new Error(`${kind}: ${JSON.stringify(result.report.errors.slice(0, 3))}`);
    const used = process.cpuUsage(cpu);
    wall += end - t;
    console.log(
      `${kind.padEnd(12)} ${((end - t) / 1000).toFixed(2)} s, ${Math.round(rows / ((end - t) / 1000)).toLocaleString()} rows/s; cpu: this process ${((used.user + used.system) / 1e6).toFixed(2)} s, database ${((sampleBackends() - db) / 1000).toFixed(2)} s; phases ${Object.entries(
        phases,
      )
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
        .join(', ')}`,
    );
  }
  console.log(`both files   ${Math.round((2 * rows) / (wall / 1000)).toLocaleString()} rows/s`);
} finally {
  clearInterval(sampler);
  await store.close();
  await scratch?.drop();
  rmSync(file, { force: true });
  for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}
