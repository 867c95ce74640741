// What the repositories throw when a write cannot happen. Storage knows nothing of HTTP: the API maps
// each kind to a stable error code (src/server/http/errors.ts). Messages name ids and fields, never
// secrets (a PIN, a PIN hash, a key).

export const RESOURCES = [
  'person',
  'credential',
  'group',
  'access_level',
  'schedule',
  'holiday_calendar',
  'area',
  'door',
  'controller',
  'site',
  'event',
] as const;
export type Resource = (typeof RESOURCES)[number];

export type StorageErrorKind =
  /** no such record (or outside the caller's scope: existence is not revealed) */
  | 'not_found'
  /** a record with this id already exists */
  | 'exists'
  /** a field names a record that does not exist (or is outside the caller's scope) */
  | 'unknown_reference'
  /** the record is still referenced by others and cannot be removed */
  | 'in_use'
  /** another credential already holds this identifier (or PIN) */
  | 'identifier_taken'
  /** the record is built in (the `outside` area) */
  | 'protected'
  /** the change would move a record out of the caller's scope, or create one outside it */
  | 'out_of_scope'
  /** the combination of values is not valid (validUntil before validFrom, a parent cycle, …) */
  | 'invalid'
  /** a pagination cursor that this store did not issue */
  | 'invalid_cursor';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    readonly resource: Resource,
    message: string,
    /** the input field at fault, when there is one (`groups[1]`, `validUntil`) */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/**
 * SQLite's write lock stayed taken for the whole wait (storage/sqlite-driver.ts): another process or
 * the import worker held it; nothing was written. The API answers 503 with a Retry-After.
 */
export class DatabaseBusyError extends Error {
  constructor(waitedMs: number) {
    super(`the database stayed locked by another writer for ${Math.round(waitedMs / 1000)} s`);
    this.name = 'DatabaseBusyError';
  }
}

export class DuplicateCredentialError extends StorageError {
  constructor(field = 'identifier') {
    super('identifier_taken', 'credential', 'a credential with this identifier is already held', field);
    this.name = 'DuplicateCredentialError';
  }
}

function codeAndText(error: unknown): string {
  return `${String((error as { code?: unknown }).code ?? '')} ${String(error)}`;
}

/** A unique or primary-key violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const text = codeAndText(error);
  return /\b23505\b|SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)|UNIQUE constraint failed/.test(text);
}

/** A foreign-key violation on either engine. */
export function isForeignKeyViolation(error: unknown): boolean {
  const text = codeAndText(error);
  return /\b23503\b|SQLITE_CONSTRAINT_FOREIGNKEY|FOREIGN KEY constraint failed/.test(text);
}
