// Credentials as CSV. Columns (header names in English or Japanese):
//   id (ID, 認証情報ID) · personId (利用者ID, 社員番号) · type (種別: card|pin|mobile|key|biometric)
//   identifier (カード番号, 識別子) · pin (暗証番号) · duressPin (脅迫暗証番号)
//   state (状態: active|suspended|lost|revoked) · validFrom (有効開始) · validUntil (有効期限)
//   maxUses (使用回数上限) · label (ラベル, 備考)
// PINs are write-only: exports leave the pin columns empty, and an empty pin cell on import keeps
// the stored PIN. Errors about a PIN say what is wrong, never what was there.

import { credentialWrites } from '../services/credentials.ts';
import { selectByKeys } from '../storage/bulk.ts';
import { CREDENTIAL_STATES, CREDENTIAL_TYPES, type NewCredential } from '../storage/credentials.ts';
import type { Repositories } from '../storage/index.ts';
import { scopeAllows } from '../storage/scope.ts';
import { cells } from './cells.ts';
import type { ColumnSpec, CsvKind, ParsedRow, RowIssue } from './import.ts';

export const CREDENTIAL_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', aliases: ['ID', '認証情報ID'], required: true, cell: cells.id },
  { name: 'personId', aliases: ['利用者ID', '社員番号', '個人ID'], required: true, cell: cells.id },
  { name: 'type', aliases: ['種別'], required: true, cell: cells.oneOf(CREDENTIAL_TYPES) },
  { name: 'identifier', aliases: ['カード番号', '識別子'], cell: cells.identifier },
  { name: 'pin', aliases: ['暗証番号', 'PIN'], cell: cells.pin },
  { name: 'duressPin', aliases: ['脅迫暗証番号'], cell: cells.pin },
  { name: 'state', aliases: ['状態'], cell: cells.oneOf(CREDENTIAL_STATES) },
  { name: 'validFrom', aliases: ['有効開始', '有効開始日時'], cell: cells.time },
  { name: 'validUntil', aliases: ['有効期限', '有効終了', '有効終了日時'], cell: cells.time },
  { name: 'maxUses', aliases: ['使用回数上限'], cell: cells.positiveInt },
  { name: 'label', aliases: ['ラベル', '備考'], cell: cells.text(100) },
  { name: 'uses', aliases: ['使用回数'], readOnly: true },
  { name: 'hasPin', readOnly: true },
];

type Row = NewCredential;

export const credentialsCsv: CsvKind<Row> = {
  kind: 'credentials',
  columns: CREDENTIAL_COLUMNS,
  build(v) {
    const issues: RowIssue[] = [];
    const type = v.type as Row['type'] | null;
    if (type === null) return [{ column: 'type', reason: `is required: ${CREDENTIAL_TYPES.join(', ')}` }];
    const identifier = (v.identifier as string | null | undefined) ?? undefined;
    // A blank PIN cell keeps the stored PIN (exports never write one).
    const pin = (v.pin as string | null | undefined) ?? undefined;
    const duressPin = (v.duressPin as string | null | undefined) ?? undefined;
    if (type === 'pin' && identifier !== undefined)
      issues.push({ column: 'identifier', reason: 'a PIN credential has no identifier' });
    if (type !== 'pin' && identifier === undefined)
      issues.push({ column: 'identifier', reason: `is required for a ${type} credential` });
    if (pin !== undefined && duressPin === pin)
      issues.push({ column: 'duressPin', reason: 'must differ from the PIN' });
    const validFrom = v.validFrom as number | null | undefined;
    const validUntil = v.validUntil as number | null | undefined;
    if (validFrom != null && validUntil != null && validUntil <= validFrom)
      issues.push({ column: 'validUntil', reason: 'must be after validFrom' });
    if (issues.length > 0) return issues;
    return {
      id: v.id as string,
      personId: v.personId as string,
      type,
      identifier,
      pin,
      duressPin,
      state: (v.state as Row['state']) ?? undefined,
      validFrom,
      validUntil,
      maxUses: v.maxUses as number | null | undefined,
      label: v.label as string | null | undefined,
    };
  },
  keys: (c) => [
    `id\u0000id\u0000${c.id}`,
    ...(c.type !== 'pin' && c.identifier !== undefined
      ? [`identifier\u0000${c.type} identifier\u0000${c.type}:${c.identifier}`]
      : []),
    ...(c.type === 'pin' && c.pin !== undefined ? [`pin\u0000PIN\u0000${c.pin}`] : []),
  ],
  async check(repos: Repositories, tx, rows, scope, { givenPinCodes }) {
    const problems: { row: ParsedRow<Row>; issue: RowIssue }[] = [];
    // PIN-only codes are issued by the server (API) unless a migration on the host brings its own:
    // a refused code would otherwise tell the importer that someone else's code works.
    if (!givenPinCodes)
      for (const row of rows)
        if (row.value.type === 'pin' && row.value.pin !== undefined)
          problems.push({
            row,
            issue: {
              column: 'pin',
              reason: 'PIN-only codes are issued by the server: leave this cell blank',
            },
          });
    // One statement per read on PostgreSQL, a few hundred keys per statement on SQLite (bulk.ts).
    const people = new Map<string, { department: string | null; site: string | null }>();
    for (const p of await selectByKeys(
      tx,
      rows.map((r) => r.value.personId),
      (match) => tx.selectFrom('people').select(['id', 'department', 'site']).where(match('id')).execute(),
    ))
      people.set(p.id, p);
    const stored = new Map<string, { person_id: string; type: string; identifier: string | null }>();
    for (const c of await selectByKeys(
      tx,
      rows.map((r) => r.value.id),
      (match) =>
        tx
          .selectFrom('credentials')
          .select(['id', 'person_id', 'type', 'identifier'])
          .where(match('id'))
          .execute(),
    ))
      stored.set(c.id, c);
    // Identifiers (and PIN-only PINs, by their keyed hash) held by other credentials.
    const wanted = rows.flatMap((r) => {
      const c = r.value;
      if (c.type === 'pin')
        return givenPinCodes && c.pin !== undefined
          ? [{ r, type: 'pin', identifier: repos.credentials.hash(c.pin) }]
          : [];
      return c.identifier !== undefined ? [{ r, type: c.type, identifier: c.identifier }] : [];
    });
    const holders = new Map<string, string>();
    const types = [...new Set(wanted.map((w) => w.type))];
    for (const h of await selectByKeys(
      tx,
      wanted.map((w) => w.identifier),
      // The type too, so both engines find them on the (type, identifier) index: by identifier
      // alone, each statement read the whole table.
      (match) =>
        tx
          .selectFrom('credentials')
          .select(['id', 'type', 'identifier'])
          .where('type', 'in', types)
          .where(match('identifier'))
          .execute(),
    ))
      holders.set(`${h.type}:${h.identifier}`, h.id);
    for (const w of wanted) {
      const holder = holders.get(`${w.type}:${w.identifier}`);
      if (holder !== undefined && holder !== w.r.value.id)
        problems.push({
          row: w.r,
          issue:
            w.type === 'pin'
              ? { column: 'pin', reason: 'another credential already has this PIN' }
              : { column: 'identifier', reason: 'another credential already holds this identifier' },
        });
    }
    for (const row of rows) {
      const c = row.value;
      const person = people.get(c.personId);
      if (!person || !scopeAllows(scope, person))
        problems.push({ row, issue: { column: 'personId', reason: `no person '${c.personId}'` } });
      const before = stored.get(c.id);
      if (!before) {
        if (c.type === 'pin' && !givenPinCodes)
          problems.push({
            row,
            issue: {
              column: 'type',
              reason: 'PIN-only credentials are created in the console or API, which issue their code',
            },
          });
        else if (c.type === 'pin' && c.pin === undefined)
          problems.push({ row, issue: { column: 'pin', reason: 'is required for a new PIN credential' } });
        continue;
      }
      if (before.person_id !== c.personId)
        problems.push({
          row,
          issue: { column: 'personId', reason: 'this credential id belongs to another person' },
        });
      else if (before.type !== c.type)
        problems.push({
          row,
          issue: { column: 'type', reason: 'the type of a stored credential cannot change' },
        });
      else if (c.type !== 'pin' && before.identifier !== c.identifier)
        problems.push({
          row,
          issue: { column: 'identifier', reason: 'the identifier of a stored credential cannot change' },
        });
    }
    return problems;
  },
  apply: (repos, credential, now, raise) => credentialWrites.upsert(repos, credential, now, raise),
};
