// Stale-credential inventory (棚卸): the IDs to clean up, in four sections —
// - unused: active credentials that opened no door for N days (or never, if issued N days ago),
//   from when each credential last opened a door (recorded at ingest, reports/history.ts);
// - left: people marked as left (退職) who still hold an active credential;
// - expired: active credentials whose validity has ended (guest cards, time-limited keys, …);
// - operators: operator accounts not disabled that have not logged in for N days (or ever), and
//   API tokens, not revoked or expired, unused for N days. Needs operators:read besides.
// Each section pages by id; each is also a CSV.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { idSchema } from '../api/schemas.ts';
import { safeCredentialRef } from '../controllers/credential-refs.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { hasPermission } from '../http/principal.ts';
import { type ScopeFilter, scopeCondition } from '../storage/scope.ts';
import { header, headerQuery, INVENTORY_CREDENTIAL_COLUMNS, INVENTORY_OPERATOR_COLUMNS } from './columns.ts';
import { auditDetail, auditReport, csvQuery, siteZone } from './common.ts';
import { type Cell, pagesOf, sendCsv } from './csv.ts';
import type { ReportDb } from './tables.ts';

export const INVENTORY_SECTIONS = ['unused', 'left', 'expired', 'operators'] as const;
export type InventorySection = (typeof INVENTORY_SECTIONS)[number];

const DAY = 86_400_000;

const inventoryQuery = {
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .meta({ description: 'unused for this many days' }),
  site: idSchema.optional().meta({ description: 'CSV times in this site’s time zone' }),
};

export interface CredentialEntry {
  credentialId: string;
  credential: string;
  type: string;
  state: string;
  personId: string;
  name: string;
  department: string | null;
  personActive: boolean;
  leftAt: number | null;
  validUntil: number | null;
  lastUsedAt: number | null;
  lastDoor: string | null;
  createdAt: number;
}

export interface OperatorEntry {
  kind: 'operator' | 'token';
  id: string;
  name: string;
  role: string;
  lastLoginAt: number | null;
  createdAt: number;
}

async function credentialPage(
  db: ReportDb,
  section: Exclude<InventorySection, 'operators'>,
  query: { days: number },
  scope: ScopeFilter,
  now: number,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: CredentialEntry[]; next: string | undefined }> {
  const cutoff = now - query.days * DAY;
  let q = db
    .selectFrom('credentials as c')
    .innerJoin('people as p', 'p.id', 'c.person_id')
    .leftJoin('credential_last_use as u', 'u.credential_id', 'c.id')
    .select([
      'c.id as id',
      'c.type as type',
      'c.identifier as identifier',
      'c.state as state',
      'c.valid_until as valid_until',
      'c.created_at as created_at',
      'p.id as person_id',
      'p.name as name',
      'p.department as department',
      'p.active as active',
      'p.left_at as left_at',
      'u.last_used_at as last_used_at',
      'u.door as last_door',
    ])
    .where('c.state', '=', 'active')
    .where((eb) => scopeCondition(eb, scope, { department: 'p.department', site: 'p.site' }))
    .orderBy('c.id')
    .limit(limit + 1);
  if (section === 'unused')
    q = q
      .where('p.active', '=', 1)
      .where((eb) =>
        eb.or([
          eb('u.last_used_at', '<', cutoff),
          eb.and([eb('u.last_used_at', 'is', null), eb('c.created_at', '<', cutoff)]),
        ]),
      );
  if (section === 'left') q = q.where('p.active', '=', 0);
  if (section === 'expired') q = q.where('c.valid_until', 'is not', null).where('c.valid_until', '<=', now);
  if (cursor !== undefined) q = q.where('c.id', '>', cursor);
  const rows = await q.execute();
  const items = rows.slice(0, limit).map((r) => ({
    credentialId: r.id,
    credential: safeCredentialRef({ id: r.id, type: r.type, identifier: r.identifier }),
    type: r.type,
    state: r.state,
    personId: r.person_id,
    name: r.name,
    department: r.department,
    personActive: Number(r.active) === 1,
    leftAt: r.left_at === null ? null : Number(r.left_at),
    validUntil: r.valid_until === null ? null : Number(r.valid_until),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    lastDoor: r.last_door,
    createdAt: Number(r.created_at),
  }));
  return { items, next: rows.length > limit ? items.at(-1)!.credentialId : undefined };
}

/** Operators (by id), then API tokens (by id): one list, cursor `operator:<id>` or `token:<id>`. */
async function operatorPage(
  db: ReportDb,
  query: { days: number },
  now: number,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: OperatorEntry[]; next: string | undefined }> {
  const cutoff = now - query.days * DAY;
  const [kind, after] = cursor === undefined ? ['operator', undefined] : cursor.split(/:(.*)/s);
  if (kind !== 'operator' && kind !== 'token')
    throw new ApiError('INVALID_CURSOR', 'not a cursor issued by this report', { field: 'query.cursor' });
  const items: OperatorEntry[] = [];
  if (kind === 'operator') {
    let q = db
      .selectFrom('operators as o')
      .select(['o.id', 'o.display_name', 'o.username', 'o.role', 'o.created_at'])
      .select((eb) =>
        eb
          .selectFrom('audit_log as a')
          .select((a) => a.fn.max('a.at').as('at'))
          .whereRef('a.actor', '=', 'o.id')
          .where('a.action', '=', 'login.success')
          .as('last_login'),
      )
      .where('o.disabled', '=', 0)
      .orderBy('o.id')
      .limit(limit + 1);
    if (after !== undefined) q = q.where('o.id', '>', after);
    const rows = await q.execute();
    for (const r of rows.slice(0, limit)) {
      const last = r.last_login == null ? null : Number(r.last_login);
      if (last === null ? Number(r.created_at) < cutoff : last < cutoff)
        items.push({
          kind: 'operator',
          id: r.id,
          name: r.display_name || r.username,
          role: r.role,
          lastLoginAt: last,
          createdAt: Number(r.created_at),
        });
    }
    if (rows.length > limit) return { items, next: `operator:${rows[limit - 1]!.id}` };
  }
  let t = db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'last_used_at', 'created_at'])
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) =>
      eb.or([
        eb('last_used_at', '<', cutoff),
        eb.and([eb('last_used_at', 'is', null), eb('created_at', '<', cutoff)]),
      ]),
    )
    .orderBy('id')
    .limit(limit + 1);
  if (kind === 'token' && after !== undefined) t = t.where('id', '>', after);
  const tokens = await t.execute();
  for (const r of tokens.slice(0, limit))
    items.push({
      kind: 'token',
      id: r.id,
      name: r.name,
      role: r.role,
      lastLoginAt: r.last_used_at === null ? null : Number(r.last_used_at),
      createdAt: Number(r.created_at),
    });
  return { items, next: tokens.length > limit ? `token:${tokens[limit - 1]!.id}` : undefined };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const credentialSchema = z
  .object({
    credentialId: z.string(),
    credential: z.string().meta({ description: 'safe reference (card:C-1001, pin#<id>)' }),
    type: z.string(),
    state: z.string(),
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    personActive: z.boolean(),
    leftAt: z.iso.datetime().nullable(),
    validUntil: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().meta({ description: 'last opened a door (null: never)' }),
    lastDoor: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'InventoryCredential' });

const operatorSchema = z
  .object({
    kind: z.enum(['operator', 'token']),
    id: z.string(),
    name: z.string(),
    role: z.string(),
    lastLoginAt: z.iso.datetime().nullable().meta({ description: 'tokens: last used' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'InventoryOperator' });

const sectionParams = z.object({ section: z.enum(INVENTORY_SECTIONS) });

const responseSchema = z
  .object({
    section: z.enum(INVENTORY_SECTIONS),
    days: z.number().int(),
    credentials: z.array(credentialSchema).meta({ description: 'sections unused, left, expired' }),
    operators: z.array(operatorSchema).meta({ description: 'section operators' }),
    next: z.string().nullable(),
  })
  .meta({ id: 'InventoryReport' });

function canSee(principal: Parameters<typeof hasPermission>[0], section: InventorySection) {
  if (section === 'operators' && !hasPermission(principal, 'operators:read'))
    throw new ApiError('FORBIDDEN', 'the operators section needs the permission operators:read');
}

export function inventoryReports(db: ReportDb) {
  return {
    json: endpoint({
      operationId: 'reportInventory',
      summary: 'Stale-credential inventory (棚卸): unused, left with active credentials, expired, operators',
      params: sectionParams,
      query: z.strictObject({
        ...inventoryQuery,
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: responseSchema,
      async handle({ params, query, scope, principal, request, now }) {
        canSee(principal, params.section);
        if (query.cursor === undefined)
          await auditReport(request, 'inventory', `inventory:${params.section}`, auditDetail(query));
        if (params.section === 'operators') {
          const page = await operatorPage(db, query, now, query.cursor, query.limit);
          return {
            section: params.section,
            days: query.days,
            credentials: [],
            operators: page.items.map((o) => ({
              ...o,
              lastLoginAt: iso(o.lastLoginAt),
              createdAt: iso(o.createdAt)!,
            })),
            next: page.next ?? null,
          };
        }
        const page = await credentialPage(db, params.section, query, scope, now, query.cursor, query.limit);
        return {
          section: params.section,
          days: query.days,
          credentials: page.items.map((c) => ({
            ...c,
            leftAt: iso(c.leftAt),
            validUntil: iso(c.validUntil),
            lastUsedAt: iso(c.lastUsedAt),
            createdAt: iso(c.createdAt)!,
          })),
          operators: [],
          next: page.next ?? null,
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportInventoryCsv',
      summary: 'Stale-credential inventory section as CSV (UTF-8 with BOM or Shift_JIS)',
      params: sectionParams,
      query: z.strictObject({ ...inventoryQuery, ...csvQuery, ...headerQuery }),
      async handle({ params, query, scope, principal, request, reply, now }) {
        canSee(principal, params.section);
        const zone = await siteZone(db, query.site);
        const { encoding, header: language, ...rest } = query;
        await auditReport(request, 'inventory', `inventory:${params.section}`, {
          ...auditDetail(rest),
          format: `csv/${encoding}`,
        });
        const time = (ms: number | null) => (ms === null ? '' : formatCsvTime(ms, zone));
        if (params.section === 'operators')
          return sendCsv(
            reply,
            'inventory-operators.csv',
            encoding,
            header(INVENTORY_OPERATOR_COLUMNS, language),
            pagesOf(
              (cursor) => operatorPage(db, rest, now, cursor, 1000),
              (o): Cell[] => [o.kind, o.id, o.name, o.role, time(o.lastLoginAt), time(o.createdAt)],
            ),
          );
        const section = params.section;
        return sendCsv(
          reply,
          `inventory-${section}.csv`,
          encoding,
          header(INVENTORY_CREDENTIAL_COLUMNS, language),
          pagesOf(
            (cursor) => credentialPage(db, section, rest, scope, now, cursor, 1000),
            (c): Cell[] => [
              c.credentialId,
              c.credential,
              c.type,
              c.state,
              c.personId,
              c.name,
              c.department,
              c.personActive,
              time(c.leftAt),
              time(c.validUntil),
              time(c.lastUsedAt),
              c.lastDoor,
              time(c.createdAt),
            ],
          ),
        );
      },
    }),
  };
}
