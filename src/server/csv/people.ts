// People as CSV. Columns (header names in English or Japanese):
//   id (ID, 社員番号, 利用者ID) · name (氏名, 名前) · department (部署, 所属) · site (拠点)
//   active (有効, 在籍: true/false) · groups (グループ) · levels (アクセスレベル), lists separated by ;
// Only id and name are required; a column left out keeps what is stored, a blank cell clears it.

import { personWrites } from '../services/people.ts';
import { selectByKeys } from '../storage/bulk.ts';
import type { Executor } from '../storage/db.ts';
import { added, groupsBeyondScope, levelsBeyondScope } from '../storage/grants.ts';
import type { Repositories } from '../storage/index.ts';
import type { PersonInput } from '../storage/people.ts';
import { scopeAllows } from '../storage/scope.ts';
import { cells } from './cells.ts';
import type { ColumnSpec, CsvKind, ParsedRow, RowIssue } from './import.ts';

export const PEOPLE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', aliases: ['ID', '社員番号', '利用者ID', '個人ID'], required: true, cell: cells.id },
  { name: 'name', aliases: ['氏名', '名前', '利用者名'], required: true, cell: cells.name },
  { name: 'department', aliases: ['部署', '所属', '部門'], cell: cells.label },
  { name: 'site', aliases: ['拠点', '事業所'], cell: cells.label },
  { name: 'active', aliases: ['有効', '在籍'], cell: cells.boolean },
  { name: 'groups', aliases: ['グループ'], cell: cells.idList },
  { name: 'levels', aliases: ['アクセスレベル'], cell: cells.idList },
  { name: 'leftAt', aliases: ['退職日時'], readOnly: true },
];

async function existing(
  tx: Executor,
  table: 'groups' | 'access_levels',
  ids: Set<string>,
): Promise<Set<string>> {
  if (ids.size === 0) return new Set();
  const rows = await tx
    .selectFrom(table)
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.id));
}

export const peopleCsv: CsvKind<PersonInput> = {
  kind: 'people',
  columns: PEOPLE_COLUMNS,
  build(values) {
    return Object.fromEntries(
      Object.entries(values).filter(([, v]) => v !== undefined),
    ) as unknown as PersonInput;
  },
  keys: (p) => [`id\u0000id\u0000${p.id}`],
  async check(_repos: Repositories, tx, rows, scope, _options) {
    const problems: { row: ParsedRow<PersonInput>; issue: RowIssue }[] = [];
    const groups = await existing(tx, 'groups', new Set(rows.flatMap((r) => r.value.groups ?? [])));
    const levels = await existing(tx, 'access_levels', new Set(rows.flatMap((r) => r.value.levels ?? [])));
    const stored = new Map<string, { department: string | null; site: string | null }>();
    const ids = rows.map((r) => r.value.id);
    // One statement per read on PostgreSQL, a few hundred keys per statement on SQLite (bulk.ts).
    for (const p of await selectByKeys(tx, ids, (match) =>
      tx.selectFrom('people').select(['id', 'department', 'site']).where(match('id')).execute(),
    ))
      stored.set(p.id, p);
    // What each row adds must be grantable by the caller (storage/grants.ts), as through the API.
    const links = new Map<string, { groups: string[]; levels: string[] }>();
    for (const [table, column, field] of [
      ['person_groups', 'group_id', 'groups'],
      ['person_levels', 'level_id', 'levels'],
    ] as const)
      for (const link of await selectByKeys(tx, ids, (match) =>
        tx
          .selectFrom(table)
          .select(['person_id', `${column} as target`])
          .where(match('person_id'))
          .execute(),
      )) {
        const entry = links.get(link.person_id) ?? { groups: [], levels: [] };
        entry[field].push(link.target as string);
        links.set(link.person_id, entry);
      }
    const beyondLevels = new Set(
      await levelsBeyondScope(tx, scope, [
        ...new Set(rows.flatMap((r) => added(links.get(r.value.id)?.levels, r.value.levels))),
      ]),
    );
    const beyondGroups = new Set(
      await groupsBeyondScope(tx, scope, [
        ...new Set(rows.flatMap((r) => added(links.get(r.value.id)?.groups, r.value.groups))),
      ]),
    );
    for (const row of rows) {
      const p = row.value;
      for (const l of added(links.get(p.id)?.levels, p.levels))
        if (beyondLevels.has(l))
          problems.push({
            row,
            issue: { column: 'levels', reason: `access level '${l}' opens doors outside your scope` },
          });
      for (const g of added(links.get(p.id)?.groups, p.groups))
        if (beyondGroups.has(g))
          problems.push({
            row,
            issue: { column: 'groups', reason: `group '${g}' grants doors outside your scope` },
          });
      for (const g of p.groups ?? [])
        if (!groups.has(g)) problems.push({ row, issue: { column: 'groups', reason: `no group '${g}'` } });
      for (const l of p.levels ?? [])
        if (!levels.has(l))
          problems.push({ row, issue: { column: 'levels', reason: `no access level '${l}'` } });
      const before = stored.get(p.id);
      if (before && !scopeAllows(scope, before))
        problems.push({ row, issue: { column: 'id', reason: 'this person cannot be changed by you' } });
      const after = {
        department: p.department !== undefined ? p.department : (before?.department ?? null),
        site: p.site !== undefined ? p.site : (before?.site ?? null),
      };
      if (!scopeAllows(scope, after))
        problems.push({
          row,
          issue: { column: p.department !== undefined ? 'department' : 'site', reason: 'outside your scope' },
        });
    }
    return problems;
  },
  apply: (repos, person, now, raise) => personWrites.upsert(repos, person, now, raise),
};
