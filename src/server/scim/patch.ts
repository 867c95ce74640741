// SCIM PATCH (RFC 7644 §3.5.2) as Entra ID and Okta send it, applied to a resource's JSON document;
// the caller validates the result as it would a PUT, so a PATCH can never store what a PUT could not.
// Understood: `add`, `replace`, `remove` in any letter case; paths `attr`, `attr.sub`,
// `attr[type eq "work"].sub`, `members[value eq "id"]`, the enterprise extension's
// `urn:…:enterprise:2.0:User:department`; and no path with an object of attributes (whose keys may be
// paths themselves, as Entra sends `name.givenName`). Attribute names are case-insensitive.

import { z } from 'zod';
import { ScimError } from './errors.ts';
import { parseFilter } from './filter.ts';
import { ENTERPRISE_SCHEMA, PATCH_SCHEMA } from './resources.ts';

type Doc = Record<string, unknown>;

const KNOWN = [
  'userName',
  'externalId',
  'active',
  'displayName',
  'nickName',
  'title',
  'preferredLanguage',
  'locale',
  'name',
  'emails',
  'phoneNumbers',
  'members',
  'formatted',
  'familyName',
  'givenName',
  'middleName',
  'honorificPrefix',
  'honorificSuffix',
  'department',
  'employeeNumber',
  'organization',
  'value',
  'type',
  'primary',
  'display',
];
const CANONICAL = new Map(KNOWN.map((k) => [k.toLowerCase(), k]));
const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

const patchBody = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(PATCH_SCHEMA), `must include ${PATCH_SCHEMA}`),
  Operations: z
    .array(
      z.object({
        op: z.string().transform((s) => s.toLowerCase()),
        path: z.string().max(500).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(1000),
});

export type PatchOp = { op: 'add' | 'replace' | 'remove'; path?: string; value?: unknown };

export function parsePatch(body: unknown): PatchOp[] {
  const parsed = patchBody.safeParse(body);
  if (!parsed.success)
    throw new ScimError(
      400,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      'invalidSyntax',
    );
  return parsed.data.Operations.map((o) => {
    if (o.op !== 'add' && o.op !== 'replace' && o.op !== 'remove')
      throw new ScimError(400, `op '${o.op.slice(0, 16)}' is not add, replace or remove`, 'invalidSyntax');
    return { op: o.op, ...(o.path !== undefined && { path: o.path }), value: o.value };
  });
}

interface Target {
  container: Doc;
  attr: string;
  /** `[type eq "work"]`: the element conditions */
  filter?: { path: string; value: unknown }[];
  sub?: string;
}

const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');

function canonical(name: string): string | undefined {
  return CANONICAL.get(name.toLowerCase());
}

function resolve(doc: Doc, rawPath: string): Target | undefined {
  let path = rawPath.trim().replace(CORE_PREFIX, '');
  let container = doc;
  if (path.toLowerCase().startsWith(`${ENTERPRISE_SCHEMA.toLowerCase()}:`)) {
    path = path.slice(ENTERPRISE_SCHEMA.length + 1);
    const ext = doc[ENTERPRISE_SCHEMA];
    container = ext !== null && typeof ext === 'object' ? (ext as Doc) : {};
    doc[ENTERPRISE_SCHEMA] = container;
  }
  const match = /^([A-Za-z][\w-]*)(?:\[(.+)\])?(?:\.([A-Za-z][\w-]*))?$/.exec(path);
  if (!match) throw invalidPath('path: not an attribute path this server understands');
  const attr = canonical(match[1]!);
  if (!attr) return undefined; // an attribute Monban does not keep: ignored
  const sub = match[3] === undefined ? undefined : canonical(match[3]);
  if (match[3] !== undefined && !sub) return undefined;
  const filter = match[2] === undefined ? undefined : parseFilter(match[2]);
  return { container, attr, ...(filter && { filter }), ...(sub && { sub }) };
}

function matches(element: unknown, filter: Target['filter']): boolean {
  if (element === null || typeof element !== 'object') return false;
  const e = element as Doc;
  return (filter ?? []).every((c) => {
    const key = canonical(c.path) ?? c.path;
    const v = e[key];
    return typeof v === 'string' && typeof c.value === 'string'
      ? v.toLowerCase() === c.value.toLowerCase()
      : v === c.value;
  });
}

function valueKey(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? (v as Doc).value : v;
}

function applyOne(doc: Doc, op: PatchOp): void {
  if (op.path === undefined || op.path === '') {
    if (op.op === 'remove') throw new ScimError(400, 'remove needs a path', 'noTarget');
    if (op.value === null || typeof op.value !== 'object' || Array.isArray(op.value))
      throw new ScimError(400, 'an operation without a path needs an object value', 'invalidValue');
    for (const [key, value] of Object.entries(op.value as Doc)) {
      if (
        key.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase() &&
        value !== null &&
        typeof value === 'object'
      ) {
        for (const [k, v] of Object.entries(value as Doc))
          applyOne(doc, { op: op.op, path: `${ENTERPRISE_SCHEMA}:${k}`, value: v });
        continue;
      }
      if (key === 'schemas' || key === 'id' || key === 'meta') continue;
      applyOne(doc, { op: op.op, path: key, value });
    }
    return;
  }
  const target = resolve(doc, op.path);
  if (!target) return;
  const { container, attr, filter, sub } = target;
  const current = container[attr];

  if (filter) {
    const list = Array.isArray(current) ? (current as unknown[]) : [];
    const hits = list.filter((e) => matches(e, filter));
    if (op.op === 'remove') {
      if (sub) for (const e of hits) delete (e as Doc)[sub];
      else container[attr] = list.filter((e) => !hits.includes(e));
      return;
    }
    if (hits.length === 0) {
      // Entra ID adds `emails[type eq "work"].value` to a user with no work address yet.
      const fresh: Doc = {};
      for (const c of filter) fresh[canonical(c.path) ?? c.path] = c.value;
      if (sub) fresh[sub] = op.value;
      else if (op.value !== null && typeof op.value === 'object') Object.assign(fresh, op.value);
      container[attr] = [...list, fresh];
      return;
    }
    for (const e of hits) {
      if (sub) (e as Doc)[sub] = op.value;
      else if (op.value !== null && typeof op.value === 'object') Object.assign(e as Doc, op.value);
    }
    return;
  }

  if (sub) {
    const parent =
      current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Doc) : {};
    if (op.op === 'remove') delete parent[sub];
    else parent[sub] = op.value;
    container[attr] = parent;
    return;
  }

  if (op.op === 'remove') {
    if (Array.isArray(current) && Array.isArray(op.value)) {
      const gone = new Set(op.value.map(valueKey));
      container[attr] = current.filter((e) => !gone.has(valueKey(e)));
    } else delete container[attr];
    return;
  }
  if (op.op === 'add' && Array.isArray(current)) {
    const more = Array.isArray(op.value) ? op.value : [op.value];
    const have = new Set(current.map(valueKey));
    container[attr] = [...current, ...more.filter((e) => !have.has(valueKey(e)))];
    return;
  }
  if (op.op === 'add' && current !== null && typeof current === 'object' && typeof op.value === 'object') {
    container[attr] = { ...(current as Doc), ...(op.value as Doc) };
    return;
  }
  container[attr] = op.value;
}

/** Applies the operations in order to a copy of the document. */
export function applyPatch(document: Doc, ops: readonly PatchOp[]): Doc {
  const doc = structuredClone(document);
  for (const op of ops) applyOne(doc, op);
  return doc;
}
