// Child process for the ingest crash test (test/server/controllers/ingest-crash.test.ts): opens the
// SQLite store it is given, ingests the batch in the file it is given through the real EventIngest,
// and prints `stored <n>`; with `--hang`, it prints `inside` from within the batch's transaction,
// after the events and their report facts were written, and waits there to be killed with SIGKILL.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ControllerEvent } from '../../src/contracts/messages.ts';
import { AlarmService } from '../../src/server/alarms/service.ts';
import { securityDb } from '../../src/server/auth/context.ts';
import { controllerAlarms } from '../../src/server/controllers/controller-alarms.ts';
import { chainKeys } from '../../src/server/storage/chain.ts';
import { openStore } from '../../src/server/storage/db.ts';
import { repositories } from '../../src/server/storage/index.ts';
import { standaloneIngest } from './event-ingest.ts';

const [file, batchFile, mode] = process.argv.slice(2) as [string, string, string | undefined];
const KEY = new Uint8Array(32).fill(7);
const logger = pino({ level: 'silent' });

const store = await openStore({ sqliteFile: file });
const repos = repositories(store.db, KEY);
const raise = controllerAlarms(
  new AlarmService(securityDb(store.db), logger, { now: () => Date.now() }),
  'main',
  logger,
);
const ingest = standaloneIngest(store.db, repos, raise, {
  eventKey: chainKeys(KEY).events,
  inBatch: async () => {
    if (mode !== '--hang') return;
    process.stdout.write('inside\n');
    await new Promise(() => {});
  },
});
const batch = JSON.parse(readFileSync(batchFile, 'utf8')) as ControllerEvent[];
const stored = await ingest.ingest('ctl-1', batch);
process.stdout.write(`stored ${stored.length}\n`);
await store.close();
