// Liveness and readiness: the process answers and the database does.
import { sql } from 'kysely';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import type { Store } from '../storage/db.ts';
import { endpoint } from './endpoint.ts';

export const health = (store: Store) =>
  endpoint({
    operationId: 'getHealth',
    summary: 'Health: the server and its database answer',
    query: z.strictObject({}),
    response: z.object({ status: z.literal('ok'), database: z.literal('ok') }),
    async handle() {
      try {
        await sql`SELECT 1`.execute(store.db);
      } catch {
        throw new ApiError('UNAVAILABLE', 'the database does not answer');
      }
      return { status: 'ok' as const, database: 'ok' as const };
    },
  });
