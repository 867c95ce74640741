// `monban doctor`: the checks of a server deployment, each a pass, warn, fail or skip with one line
// saying why. They only read: the database is opened without running migrations, permissions are
// reported and not fixed (that is `monban serve`'s job at start), nothing is written. Every check
// runs even when an earlier one failed, so one run shows everything that is wrong.

import { X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { sql } from 'kysely';
import { anchorFileIn, anchorKeys, readAnchors, verifyChains } from '../audit/anchors.ts';
import type { OidcSettings } from '../auth/oidc-config.ts';
import type { ServerConfig } from '../config.ts';
import { lockHolder } from '../data-dir-lock.ts';
import { migrationStatus, openStore, type Store } from '../storage/db.ts';
import { loadOrCreateInstallationKey } from '../storage/installation-key.ts';
import { breakGlassAdmin, singleSignOn } from './sso.ts';

export type Status = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: Status;
  detail: string;
}

export interface DoctorOptions {
  config: ServerConfig;
  /** an installed certificate (MONBAN_TLS_CERT) instead of DATA_DIR/tls/server.crt */
  certPath?: string | undefined;
  now?: number;
  /** skip the audit chain verification (it reads every record) */
  quick?: boolean;
  brokerTimeoutMs?: number;
  /** single sign-on, when configured: provider discovery and a break-glass admin are checked */
  oidc?: OidcSettings | undefined;
}

/** The installation key without ever making one (a check writes nothing). */
function installationKey(config: ServerConfig): Uint8Array {
  if (config.installationKey) return config.installationKey;
  if (!existsSync(join(config.dataDir, 'installation.key')))
    throw new Error(
      'installation.key is missing: no chain, checkpoint or PIN hash can be checked without it',
    );
  return loadOrCreateInstallationKey(config.dataDir);
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const DAY = 86_400_000;

function permissions(dataDir: string): CheckResult {
  const name = 'data directory';
  if (!existsSync(dataDir)) return { name, status: 'fail', detail: `${dataDir} does not exist` };
  const uid = process.getuid?.();
  const open: string[] = [];
  const foreign: string[] = [];
  let files = 0;
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (uid !== undefined && stat.uid !== uid) foreign.push(`${path} (uid ${stat.uid})`);
    // A certificate is public: only its key must stay private (nobody but the owner may change it).
    const mask = !stat.isDirectory() && path.endsWith('.crt') ? 0o022 : 0o077;
    if ((stat.mode & mask) !== 0) open.push(`${path} is ${octal(stat.mode)}`);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else files++;
  };
  visit(dataDir);
  if (foreign.length > 0)
    return { name, status: 'fail', detail: `owned by another user: ${foreign.slice(0, 5).join(', ')}` };
  if (open.length > 0)
    return {
      name,
      status: 'fail',
      detail: `readable by others: ${open.slice(0, 5).join(', ')}${open.length > 5 ? ` and ${open.length - 5} more` : ''} (monban serve fixes this at start)`,
    };
  return { name, status: 'pass', detail: `${dataDir} and its ${files} file(s) are owner-only` };
}

function certificate(path: string, now: number): CheckResult {
  const name = 'certificate';
  if (!existsSync(path))
    return { name, status: 'warn', detail: `${path} not found (made at the first start)` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(path));
  } catch {
    return { name, status: 'fail', detail: `${path} is not a PEM certificate` };
  }
  const until = Date.parse(cert.validTo);
  const days = Math.floor((until - now) / DAY);
  const when = new Date(until).toISOString().slice(0, 10);
  if (until <= now) return { name, status: 'fail', detail: `${path} expired on ${when}` };
  if (Date.parse(cert.validFrom) > now)
    return { name, status: 'fail', detail: `${path} is not valid before ${cert.validFrom}` };
  if (days < 30) return { name, status: 'warn', detail: `${path} expires in ${days} day(s), on ${when}` };
  return { name, status: 'pass', detail: `${path} valid until ${when} (${days} days)` };
}

async function clock(store: Store | undefined, anchorFile: string, now: number): Promise<CheckResult> {
  const name = 'clock';
  const problems: string[] = [];
  const notes: string[] = [];
  // A clock set back shows against what was written with it before.
  if (store) {
    const last = await store.db
      .selectFrom('audit_log')
      .select('at')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && Number(last.at) > now + 60_000)
      problems.push(
        `the last audit record is from ${new Date(Number(last.at)).toISOString()}, in the future`,
      );
    if (store.dialect === 'postgres') {
      const row = await sql<{ now: Date }>`select now() as now`.execute(store.db);
      const offset = (row.rows[0]?.now.getTime() ?? now) - now;
      if (Math.abs(offset) > 2_000)
        problems.push(`PostgreSQL's clock is ${Math.round(offset / 1000)} s off this host's`);
      else notes.push('agrees with PostgreSQL');
    }
  }
  const anchors = existsSync(anchorFile)
    ? readFileSync(anchorFile, 'utf8').trim().split('\n').at(-1)
    : undefined;
  if (anchors) {
    try {
      const at = Number((JSON.parse(anchors) as { at: number }).at);
      if (at > now + 60_000)
        problems.push(`the last checkpoint is from ${new Date(at).toISOString()}, in the future`);
    } catch {}
  }
  // systemd-timesyncd and chrony leave this file while the clock is synchronised.
  const synced = existsSync('/run/systemd/timesync/synchronized');
  if (problems.length > 0) return { name, status: 'fail', detail: problems.join('; ') };
  if (!synced)
    return {
      name,
      status: 'warn',
      detail: `${new Date(now).toISOString()}: not seen synchronised (no /run/systemd/timesync/synchronized); run NTP — time drift breaks schedules and audit order${notes.length ? `; ${notes.join(', ')}` : ''}`,
    };
  return {
    name,
    status: 'pass',
    detail: `${new Date(now).toISOString()}, synchronised${notes.length ? `, ${notes.join(', ')}` : ''}`,
  };
}

function reach(url: URL, ca: string | undefined, timeoutMs: number): Promise<string | undefined> {
  const secure = url.protocol === 'mqtts:';
  const port = Number(url.port || (secure ? 8883 : 1883));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = secure
      ? tlsConnect({ host, port, ...(ca && { ca }), servername: /^[\d.:]+$/.test(host) ? undefined : host })
      : tcpConnect({ host, port });
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    socket.once(secure ? 'secureConnect' : 'connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

async function broker(options: DoctorOptions): Promise<CheckResult> {
  const name = 'broker';
  const { config } = options;
  const holder = lockHolder(config.dataDir);
  const url = config.controllers.mqttUrl ?? holder?.brokerUrl;
  if (!url)
    return {
      name,
      status: 'skip',
      detail: 'the embedded broker runs inside monban serve, which is not running on this data directory',
    };
  const ca = config.controllers.mqttCaFile
    ? readFileSync(config.controllers.mqttCaFile, 'utf8')
    : holder?.caFile && existsSync(holder.caFile)
      ? readFileSync(holder.caFile, 'utf8')
      : undefined;
  const parsed = new URL(url);
  const problem = await reach(parsed, ca, options.brokerTimeoutMs ?? 3_000);
  const where = `${parsed.protocol}//${parsed.host}`;
  if (problem) return { name, status: 'fail', detail: `${where} not reachable: ${problem}` };
  return {
    name,
    status: 'pass',
    detail: `${where} reachable${parsed.protocol === 'mqtts:' ? ' over TLS, certificate trusted' : ' (plain MQTT: no TLS)'}`,
  };
}

async function database(store: Store): Promise<CheckResult> {
  const name = 'database';
  const { applied, pending } = await migrationStatus(store);
  const integrity =
    store.dialect === 'sqlite'
      ? String(
          (await sql<{ quick_check: string }>`pragma quick_check`.execute(store.db)).rows[0]?.quick_check,
        )
      : 'ok';
  if (integrity !== 'ok') return { name, status: 'fail', detail: `SQLite quick_check: ${integrity}` };
  if (applied.length === 0)
    return { name, status: 'fail', detail: 'no migration applied: not a Monban database, or never started' };
  if (pending.length > 0)
    return {
      name,
      status: 'warn',
      detail: `${pending.length} migration(s) not applied yet (monban serve applies them at start): ${pending.join(', ')}`,
    };
  return {
    name,
    status: 'pass',
    detail: `${store.dialect}, ${applied.length} migration(s), all current${store.dialect === 'sqlite' ? ', quick_check ok' : ''}`,
  };
}

function disk(dataDir: string): CheckResult {
  const name = 'free disk';
  if (!existsSync(dataDir)) return { name, status: 'skip', detail: 'no data directory' };
  const s = statfsSync(dataDir);
  const free = s.bavail * s.bsize;
  const share = s.blocks > 0 ? s.bavail / s.blocks : 1;
  const text = `${(free / 2 ** 30).toFixed(1)} GiB free (${Math.round(share * 100)}%) under ${dataDir}`;
  if (free < 200 * 2 ** 20 || share < 0.02)
    return { name, status: 'fail', detail: `${text}: the database and audit log will stop` };
  if (free < 2 ** 30 || share < 0.1) return { name, status: 'warn', detail: text };
  return { name, status: 'pass', detail: text };
}

async function chains(store: Store, options: DoctorOptions, anchorFile: string): Promise<CheckResult> {
  const name = 'audit chains';
  if (options.quick) return { name, status: 'skip', detail: '--quick' };
  const keys = anchorKeys(installationKey(options.config));
  const report = await verifyChains(store.db, keys, anchorFile);
  const events = report.events.reduce((n, e) => n + e.records, 0);
  const summary = `${report.audit.records} audit record(s), ${events} event(s) of ${report.events.length} controller(s), ${report.anchors.checkpoints} checkpoint(s)`;
  if (!report.ok)
    return {
      name,
      status: 'fail',
      detail: `${summary}: ${[...report.spans.map((s) => s.message), ...report.anchors.problems].slice(0, 3).join('; ')} (monban audit verify lists all)`,
    };
  return { name, status: 'pass', detail: `intact: ${summary}` };
}

/** Runs every check; never throws for what it finds (a check that cannot run is a failure). */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const { config } = options;
  const now = options.now ?? Date.now();
  const anchorFile = anchorFileIn(config.dataDir);
  const results: CheckResult[] = [];
  const guard = async (name: string, check: () => CheckResult | Promise<CheckResult>) => {
    try {
      results.push(await check());
    } catch (error) {
      results.push({ name, status: 'fail', detail: (error as Error).message });
    }
  };
  await guard('data directory', () => permissions(config.dataDir));
  await guard('certificate', () =>
    certificate(options.certPath ?? join(config.dataDir, 'tls', 'server.crt'), now),
  );
  const sqliteFile = 'sqliteFile' in config.location ? config.location.sqliteFile : undefined;
  let store: Store | undefined;
  if (sqliteFile && !existsSync(sqliteFile))
    results.push({ name: 'database', status: 'fail', detail: `${sqliteFile} does not exist` });
  else {
    try {
      store = await openStore(config.location, { migrate: false });
    } catch (error) {
      results.push({
        name: 'database',
        status: 'fail',
        detail: `does not open: ${(error as Error).message}`,
      });
    }
  }
  try {
    if (store) await guard('database', () => database(store));
    await guard('clock', () => clock(store, anchorFile, now));
    await guard('broker', () => broker(options));
    const { oidc } = options;
    if (oidc) {
      await guard('single sign-on', () => singleSignOn(oidc));
      if (store) await guard('break-glass admin', () => breakGlassAdmin(store));
    }
    await guard('free disk', () => disk(config.dataDir));
    await guard('checkpoints', () => {
      const read = readAnchors(anchorFile, anchorKeys(installationKey(config)));
      if (read.count === 0)
        return {
          name: 'checkpoints',
          status: 'warn',
          detail: `no checkpoint in ${anchorFile} yet (monban serve writes them)`,
        };
      const age = Math.round((now - (read.last?.at ?? now)) / 60_000);
      return {
        name: 'checkpoints',
        status: 'pass',
        detail: `${read.count} checkpoint(s), the last ${age} min ago`,
      };
    });
    if (store) await guard('audit chains', () => chains(store, options, anchorFile));
  } finally {
    await store?.close();
  }
  return results;
}
