// The configuration baseline (IPA checklist g01: after maintenance, compare the configuration with
// the one approved before it). A baseline is the site's configuration at one moment — sites, areas,
// doors, schedules, holiday calendars, access levels, groups, controllers (with the software and
// configuration hash they report), operators and API tokens (roles, scopes, factors; never a hash or
// secret), and the server's settings (its MONBAN_* environment, except anything named like a key,
// token, password or passphrase, plus the version and the migrations applied). People and their
// credentials are data, not configuration: the access review report covers them.
//
// A saved baseline is sealed with an HMAC under a key derived from the installation key, so a
// baseline edited to hide a change is refused when compared, not trusted.

import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import type { SecurityDb } from '../auth/context.ts';

export const SECTIONS = [
  'sites',
  'areas',
  'doors',
  'schedules',
  'holidays',
  'levels',
  'groups',
  'controllers',
  'operators',
  'apiTokens',
  'settings',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };
export type Record_ = Record<string, Value>;

export interface Baseline {
  format: 'monban-baseline';
  v: 1;
  takenAt: string;
  note?: string;
  sections: Record<Section, Record<string, Record_>>;
  mac?: string;
}

const SECRET_NAME = /KEY|TOKEN|PASSWORD|PASSPHRASE|SECRET/;
const json = (text: string | null): Value => (text === null ? null : (JSON.parse(text) as Value));
const byId = <T>(rows: T[], id: (row: T) => string, shape: (row: T) => Record_) =>
  Object.fromEntries(rows.map((r) => [id(r), shape(r)]));
const grouped = (rows: { k: string; v: string }[]) => {
  const map = new Map<string, string[]>();
  for (const { k, v } of rows) map.set(k, [...(map.get(k) ?? []), v]);
  for (const list of map.values()) list.sort();
  return (k: string) => map.get(k) ?? [];
};

export async function takeBaseline(
  db: SecurityDb,
  env: Record<string, string | undefined>,
  options: { now: number; version: string; note?: string },
): Promise<Baseline> {
  const sites = await db.selectFrom('sites').selectAll().orderBy('id').execute();
  const siteHolidays = grouped(
    await db.selectFrom('site_holidays').select(['site_id as k', 'calendar_id as v']).execute(),
  );
  const areas = await db.selectFrom('areas').selectAll().orderBy('id').execute();
  const doors = await db.selectFrom('doors').selectAll().orderBy('id').execute();
  const schedules = await db.selectFrom('schedules').selectAll().orderBy('id').execute();
  const scheduleHolidays = grouped(
    await db.selectFrom('schedule_holidays').select(['schedule_id as k', 'calendar_id as v']).execute(),
  );
  const calendars = await db.selectFrom('holiday_calendars').selectAll().orderBy('id').execute();
  const dates = grouped(
    (await db.selectFrom('holiday_dates').select(['calendar_id', 'date', 'name']).execute()).map((d) => ({
      k: d.calendar_id,
      v: `${d.date} ${d.name}`,
    })),
  );
  const levels = await db.selectFrom('access_levels').selectAll().orderBy('id').execute();
  const levelDoors = grouped(
    await db.selectFrom('access_level_doors').select(['level_id as k', 'door_id as v']).execute(),
  );
  const groups = await db.selectFrom('groups').selectAll().orderBy('id').execute();
  const groupLevels = grouped(
    await db.selectFrom('group_levels').select(['group_id as k', 'level_id as v']).execute(),
  );
  const controllers = await db
    .selectFrom('controllers')
    .leftJoin('controller_links', 'controller_links.controller_id', 'controllers.id')
    .select([
      'controllers.id',
      'controllers.name',
      'controllers.site',
      'controllers.description',
      'controller_links.public_key',
      'controller_links.software_version',
      'controller_links.config_hash',
    ])
    .orderBy('controllers.id')
    .execute();
  const operators = await db.selectFrom('operators').selectAll().orderBy('username').execute();
  const factors = new Map<string, number>();
  for (const table of ['totp_factors', 'webauthn_credentials'] as const) {
    const rows = await db.selectFrom(table).select('operator_id').execute();
    for (const r of rows) factors.set(r.operator_id, (factors.get(r.operator_id) ?? 0) + 1);
  }
  const tokens = await db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
  const migrations = (
    await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
  ).rows.map((r) => r.name);

  const settings: Record<string, Record_> = {
    monban: { version: options.version, migrations },
    environment: Object.fromEntries(
      Object.keys(env)
        .filter((k) => k.startsWith('MONBAN_') && !SECRET_NAME.test(k) && env[k] !== undefined)
        .sort()
        .map((k) => [k, env[k] as string]),
    ),
  };
  return {
    format: 'monban-baseline',
    v: 1,
    takenAt: new Date(options.now).toISOString(),
    ...(options.note && { note: options.note }),
    sections: {
      sites: byId(
        sites,
        (s) => s.id,
        (s) => ({ name: s.name, timezone: s.timezone, topic: s.topic, holidays: siteHolidays(s.id) }),
      ),
      areas: byId(
        areas,
        (a) => a.id,
        (a) => ({
          name: a.name,
          parent: a.parent_id,
          site: a.site,
          maxOccupancy: a.max_occupancy,
          antipassback: json(a.antipassback),
          offlineMode: a.offline_mode,
          rules: json(a.rules),
        }),
      ),
      doors: byId(
        doors,
        (d) => d.id,
        (d) => ({
          name: d.name,
          from: d.from_area,
          to: d.to_area,
          controller: d.controller_id,
          mode: d.mode,
          strikeSeconds: Number(d.strike_seconds),
          heldOpenSeconds: Number(d.held_open_seconds),
          rules: json(d.rules),
        }),
      ),
      schedules: byId(
        schedules,
        (s) => s.id,
        (s) => ({
          name: s.name,
          timezone: s.timezone,
          weekly: json(s.weekly),
          holidayIntervals: json(s.holiday_intervals),
          siteHolidays: Boolean(Number(s.site_holidays)),
          calendars: scheduleHolidays(s.id),
        }),
      ),
      holidays: byId(
        calendars,
        (c) => c.id,
        (c) => ({ name: c.name, preset: c.preset, dates: dates(c.id) }),
      ),
      levels: byId(
        levels,
        (l) => l.id,
        (l) => ({
          name: l.name,
          schedule: l.schedule_id,
          maxThreatLevel: l.max_threat_level,
          doors: levelDoors(l.id),
        }),
      ),
      groups: byId(
        groups,
        (g) => g.id,
        (g) => ({ name: g.name, description: g.description, levels: groupLevels(g.id) }),
      ),
      controllers: byId(
        controllers,
        (c) => c.id,
        (c) => ({
          name: c.name,
          site: c.site,
          description: c.description,
          enrolledKey: c.public_key
            ? createHash('sha256').update(c.public_key).digest('hex').slice(0, 16)
            : null,
          softwareVersion: c.software_version,
          configHash: c.config_hash,
        }),
      ),
      operators: byId(
        operators,
        (o) => o.username,
        (o) => ({
          email: o.email,
          displayName: o.display_name,
          role: o.role,
          departments: json(o.scope_departments),
          sites: json(o.scope_sites),
          disabled: Boolean(Number(o.disabled)),
          secondFactors: factors.get(o.id) ?? 0,
        }),
      ),
      apiTokens: byId(
        tokens.filter((t) => t.revoked_at === null),
        (t) => t.id,
        (t) => ({
          name: t.name,
          role: t.role,
          permissions: json(t.permissions),
          scope: t.scope === 'all' ? 'all' : json(t.scope),
          expiresAt: t.expires_at === null ? null : new Date(Number(t.expires_at)).toISOString(),
        }),
      ),
      settings,
    },
  };
}

function macKey(installationKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', installationKey, 'monban', 'configuration baseline v1', 32));
}

function macOf(baseline: Baseline, installationKey: Uint8Array): string {
  const { mac: _mac, ...body } = baseline;
  return createHmac('sha256', macKey(installationKey))
    .update(canonicalJson(body as unknown as Json))
    .digest('hex');
}

export function sealBaseline(baseline: Baseline, installationKey: Uint8Array): Baseline {
  return { ...baseline, mac: macOf(baseline, installationKey) };
}

/** Throws when the baseline was not sealed under this installation, or was changed since. */
export function checkBaseline(baseline: Baseline, installationKey: Uint8Array): void {
  if (baseline.format !== 'monban-baseline' || baseline.v !== 1) throw new Error('not a Monban baseline');
  const wanted = Buffer.from(macOf(baseline, installationKey), 'hex');
  const given = Buffer.from(typeof baseline.mac === 'string' ? baseline.mac : '', 'hex');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    throw new Error(
      'the baseline was changed after it was saved (or belongs to another installation): refused',
    );
}
