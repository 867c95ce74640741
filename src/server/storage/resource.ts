// The shape most site records share (groups, access levels, schedules, holiday calendars, areas,
// doors, controllers): a row keyed by id, links to other records in join tables, references checked
// before writing so the error names the field, and id-ordered cursor pages. Each domain repository
// declares its table, columns and links once; this file does the transactions.

import type { Kysely, Transaction } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import { type Executor, inTransaction } from './db.ts';
import { isForeignKeyViolation, isUniqueViolation, type Resource, StorageError } from './errors.ts';

// biome-ignore lint/suspicious/noExplicitAny: tables are named by each spec; rows are mapped by hand
type AnyDb = Record<string, any>;
export type Db = Kysely<AnyDb> | Transaction<AnyDb>;
type Row = Record<string, unknown>;

export interface Stamps {
  createdAt: number;
  updatedAt: number;
}

/** A list field stored as rows of a join table (`levels` → group_levels(group_id, level_id)). */
export interface LinkSpec {
  field: string;
  table: string;
  owner: string;
  target: string;
  /** the table the linked ids must exist in, and what they are */
  refTable: string;
  refResource: Resource;
}

/** A scalar field naming another record (`scheduleId` → schedules.id). */
export interface RefSpec {
  field: string;
  refTable: string;
  refResource: Resource;
}

/** A list field stored in a child table with more than an id per row (a calendar's dates). */
export interface CollectionSpec {
  field: string;
  load(db: Db, ownerIds: readonly string[]): Promise<Map<string, unknown[]>>;
  save(db: Db, ownerId: string, items: readonly unknown[]): Promise<void>;
}

export interface ResourceSpec<In extends { id: string }> {
  resource: Resource;
  table: string;
  /** the columns of a complete record, except id and the times */
  toRow(input: In): Row;
  /** the scalar fields of a record from its row (links are added by field name) */
  fromRow(row: Row): Omit<In, 'id'>;
  links: readonly LinkSpec[];
  refs: readonly RefSpec[];
  collections?: readonly CollectionSpec[];
  /** list filters: query name → column */
  filters?: Readonly<Record<string, string>>;
  /** checks that span fields or rows; throws StorageError('invalid') */
  check?(tx: Db, input: In): Promise<void>;
  /** built-in records that cannot be changed or removed */
  protectedIds?: readonly string[];
  /** refuses a removal that foreign keys cannot see (references by label); throws StorageError('in_use') */
  beforeRemove?(db: Db, id: string): Promise<void>;
}

export interface ListOptions {
  cursor?: string | undefined;
  limit?: number | undefined;
  filter?: Record<string, string | undefined>;
}

export function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? 100, 1), 1000);
}

/** The id after which a page starts, from a cursor issued by an id-ordered list. */
export function cursorId(cursor: string | undefined, resource: Resource): string | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  if (key === undefined || key.length !== 1 || typeof key[0] !== 'string')
    throw new StorageError('invalid_cursor', resource, 'invalid cursor', 'cursor');
  return key[0];
}

export function pageOf<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? encodeCursor([items.at(-1)!.id]) : undefined };
}

/** Throws unknown_reference naming the field when an id is missing from its table. */
export async function assertExists(
  db: Db,
  table: string,
  ids: readonly string[],
  field: string,
  resource: Resource,
  list: boolean,
): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set(
    (
      await db
        .selectFrom(table)
        .select('id')
        .where('id', 'in', [...new Set(ids)])
        .execute()
    ).map((r) => r.id as string),
  );
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0)
    throw new StorageError(
      'unknown_reference',
      resource,
      `no ${resource.replace('_', ' ')} '${ids[missing]}'`,
      list ? `${field}[${missing}]` : field,
    );
}

export async function loadLinks(
  db: Db,
  link: LinkSpec,
  ownerIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byOwner = new Map<string, string[]>(ownerIds.map((id) => [id, []]));
  if (ownerIds.length === 0) return byOwner;
  const rows = await db
    .selectFrom(link.table)
    .select([`${link.owner} as owner`, `${link.target} as target`])
    .where(link.owner, 'in', [...ownerIds])
    .orderBy(link.target)
    .execute();
  for (const r of rows) byOwner.get(r.owner as string)?.push(r.target as string);
  return byOwner;
}

export async function replaceLinks(
  db: Db,
  link: LinkSpec,
  ownerId: string,
  targets: readonly string[],
): Promise<void> {
  await db.deleteFrom(link.table).where(link.owner, '=', ownerId).execute();
  const unique = [...new Set(targets)];
  if (unique.length > 0)
    await db
      .insertInto(link.table)
      .values(unique.map((t) => ({ [link.owner]: ownerId, [link.target]: t })))
      .execute();
}

export class ResourceStore<In extends { id: string }> {
  protected readonly db: Db;

  constructor(
    db: Executor,
    protected readonly spec: ResourceSpec<In>,
  ) {
    this.db = db as unknown as Db;
  }

  private async assemble(db: Db, rows: Row[]): Promise<(In & Stamps)[]> {
    const ids = rows.map((r) => r.id as string);
    const links = await Promise.all(this.spec.links.map((l) => loadLinks(db, l, ids)));
    const collections = await Promise.all((this.spec.collections ?? []).map((c) => c.load(db, ids)));
    return rows.map((row) => {
      const record: Record<string, unknown> = { id: row.id, ...this.spec.fromRow(row) };
      this.spec.links.forEach((l, i) => {
        record[l.field] = links[i]!.get(row.id as string) ?? [];
      });
      (this.spec.collections ?? []).forEach((c, i) => {
        record[c.field] = collections[i]!.get(row.id as string) ?? [];
      });
      record.createdAt = Number(row.created_at);
      record.updatedAt = Number(row.updated_at);
      return record as unknown as In & Stamps;
    });
  }

  protected async read(db: Db, id: string): Promise<(In & Stamps) | undefined> {
    const row = await db.selectFrom(this.spec.table).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (await this.assemble(db, [row]))[0] : undefined;
  }

  private async checkReferences(db: Db, input: In): Promise<void> {
    const values = input as unknown as Record<string, unknown>;
    for (const ref of this.spec.refs) {
      const value = values[ref.field];
      if (typeof value === 'string')
        await assertExists(db, ref.refTable, [value], ref.field, ref.refResource, false);
    }
    for (const link of this.spec.links) {
      const value = values[link.field];
      if (Array.isArray(value))
        await assertExists(db, link.refTable, value as string[], link.field, link.refResource, true);
    }
    await this.spec.check?.(db, input);
  }

  private async writeLinks(db: Db, id: string, input: Partial<In>): Promise<void> {
    const values = input as unknown as Record<string, unknown>;
    for (const link of this.spec.links) {
      const value = values[link.field];
      if (Array.isArray(value)) await replaceLinks(db, link, id, value as string[]);
    }
    for (const collection of this.spec.collections ?? []) {
      const value = values[collection.field];
      if (Array.isArray(value)) await collection.save(db, id, value);
    }
  }

  private notFound(id: string): StorageError {
    return new StorageError(
      'not_found',
      this.spec.resource,
      `no ${this.spec.resource.replace('_', ' ')} '${id}'`,
    );
  }

  private refuseProtected(id: string): void {
    if (this.spec.protectedIds?.includes(id))
      throw new StorageError('protected', this.spec.resource, `'${id}' is built in and cannot be changed`);
  }

  async get(id: string): Promise<(In & Stamps) | undefined> {
    return this.read(this.db, id);
  }

  async list(options: ListOptions = {}): Promise<Page<In & Stamps>> {
    const limit = clampLimit(options.limit);
    const after = cursorId(options.cursor, this.spec.resource);
    let query = this.db
      .selectFrom(this.spec.table)
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (after !== undefined) query = query.where('id', '>', after);
    for (const [name, value] of Object.entries(options.filter ?? {})) {
      const column = this.spec.filters?.[name];
      if (column !== undefined && value !== undefined) query = query.where(column, '=', value);
    }
    const rows = await query.execute();
    return pageOf(await this.assemble(this.db, rows), limit);
  }

  async create(input: In, now: number): Promise<In & Stamps> {
    return inTransaction(this.db as unknown as Executor, async (t) => {
      const tx = t as unknown as Db;
      await this.checkReferences(tx, input);
      try {
        await tx
          .insertInto(this.spec.table)
          .values({ id: input.id, ...this.spec.toRow(input), created_at: now, updated_at: now })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new StorageError(
            'exists',
            this.spec.resource,
            `${this.spec.resource.replace('_', ' ')} '${input.id}' already exists`,
            'id',
          );
        throw error;
      }
      await this.writeLinks(tx, input.id, input);
      return (await this.read(tx, input.id))!;
    });
  }

  /** Changes the given fields; lists given replace the old ones whole. */
  async update(id: string, patch: Partial<Omit<In, 'id'>>, now: number): Promise<In & Stamps> {
    this.refuseProtected(id);
    return inTransaction(this.db as unknown as Executor, async (t) => {
      const tx = t as unknown as Db;
      const existing = await this.read(tx, id);
      if (!existing) throw this.notFound(id);
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const merged = { ...existing, ...defined, id } as In & Stamps;
      await this.checkReferences(tx, merged);
      await tx
        .updateTable(this.spec.table)
        .set({ ...this.spec.toRow(merged), updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.writeLinks(tx, id, defined as Partial<In>);
      return (await this.read(tx, id))!;
    });
  }

  async remove(id: string): Promise<void> {
    this.refuseProtected(id);
    try {
      await this.spec.beforeRemove?.(this.db, id);
      const result = await this.db.deleteFrom(this.spec.table).where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) throw this.notFound(id);
    } catch (error) {
      if (isForeignKeyViolation(error))
        throw new StorageError(
          'in_use',
          this.spec.resource,
          `${this.spec.resource.replace('_', ' ')} '${id}' is still used by other records`,
        );
      throw error;
    }
  }
}
