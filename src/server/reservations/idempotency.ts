// Idempotency-Key for integration writes (in the style of well-known payment APIs): the first request
// with a key is carried out and its answer recorded in the same transaction as the write itself, so
// a write and its record commit together or not at all. A retry with the same key and the same body
// answers the recorded result and changes nothing; the same key with another body (or another
// operation) is refused with 422. A key link in an answer is stored sealed under the installation
// key (SecretBox), so a replay hands out the same link without the link ever being stored in clear.
// Records are kept for a day.

import { createHash } from 'node:crypto';
import { SecretBox } from '../auth/secrets.ts';
import { ApiError } from '../http/errors.ts';
import { keyDb } from '../keys/store.ts';
import type { Executor } from '../storage/db.ts';
import { isUniqueViolation } from '../storage/errors.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface IdempotentCall {
  principal: string;
  key: string | undefined;
  operation: string;
  body: unknown;
}

/** The answer of a write, with the parts that must not be stored in clear kept apart. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** a key link url in the body, sealed when stored */
  secretPaths?: string[][];
}

const hashOf = (body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

export class Idempotency {
  private readonly box: SecretBox;
  constructor(installationKey: Uint8Array) {
    this.box = new SecretBox(installationKey);
  }

  /** A recorded answer for this call, or undefined when the call is new. */
  async recorded(db: Executor, call: IdempotentCall, now: number): Promise<Answer | undefined> {
    if (call.key === undefined) return undefined;
    const row = await keyDb(db)
      .selectFrom('idempotency_records')
      .selectAll()
      .where('principal', '=', call.principal)
      .where('key', '=', call.key)
      .executeTakeFirst();
    if (!row || Number(row.created_at) + IDEMPOTENCY_TTL_MS < now) return undefined;
    if (row.operation !== call.operation || row.body_hash !== hashOf(call.body))
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'header.idempotency-key: was used with another request; use a new key for a new request',
        { field: 'header.idempotency-key' },
      );
    const stored = JSON.parse(row.response) as {
      body: Record<string, unknown>;
      sealed: [string[], string][];
    };
    for (const [path, sealed] of stored.sealed) setAt(stored.body, path, this.box.decrypt(sealed));
    return { status: Number(row.status), body: stored.body };
  }

  /** Records the answer inside the write's transaction (a unique violation: a concurrent twin won). */
  async record(tx: Executor, call: IdempotentCall, answer: Answer, now: number): Promise<void> {
    if (call.key === undefined) return;
    const body = structuredClone(answer.body);
    const sealed: [string[], string][] = [];
    for (const path of answer.secretPaths ?? []) {
      const value = getAt(body, path);
      if (typeof value !== 'string') continue;
      sealed.push([path, this.box.encrypt(value)]);
      setAt(body, path, null);
    }
    const db = keyDb(tx);
    await db
      .deleteFrom('idempotency_records')
      .where('created_at', '<', now - IDEMPOTENCY_TTL_MS)
      .execute();
    await db
      .insertInto('idempotency_records')
      .values({
        principal: call.principal,
        key: call.key,
        operation: call.operation,
        body_hash: hashOf(call.body),
        status: answer.status,
        response: JSON.stringify({ body, sealed }),
        created_at: now,
      })
      .execute();
  }

  /**
   * Runs a write once per key: `write(record)` must call `record(tx, answer)` inside its own
   * transaction. A retry that lost the race to a concurrent twin answers the twin's result.
   */
  async run(
    db: Executor,
    call: IdempotentCall,
    now: number,
    write: (record: (tx: Executor, answer: Answer) => Promise<void>) => Promise<Answer>,
  ): Promise<Answer> {
    const before = await this.recorded(db, call, now);
    if (before) return before;
    try {
      return await write((tx, answer) => this.record(tx, call, answer, now));
    } catch (error) {
      if (call.key !== undefined && isUniqueViolation(error)) {
        const twin = await this.recorded(db, call, now);
        if (twin) return twin;
      }
      throw error;
    }
  }
}

function getAt(body: Record<string, unknown>, path: readonly string[]): unknown {
  let at: unknown = body;
  for (const part of path) at = (at as Record<string, unknown> | null)?.[part];
  return at;
}

function setAt(body: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = body;
  for (const part of path.slice(0, -1)) at = at[part] as Record<string, unknown>;
  at[path[path.length - 1]!] = value;
}
