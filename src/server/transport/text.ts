// Well-formed text at the boundary: a request whose body, query or path holds a lone UTF-16
// surrogate (possible through JSON escapes such as "\ud800") is refused with a 400 before any route,
// login or audit record sees it. Such text cannot be stored faithfully (storage/text.ts), and a value
// that changes on its way into the database breaks whatever was computed from it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isWellFormedText } from '../storage/text.ts';

/** Every string (and key) in a parsed value, walked without recursion, so deep nesting cannot overflow. */
export function allTextWellFormed(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') {
      if (!isWellFormedText(next)) return false;
    } else if (Array.isArray(next)) {
      for (const item of next) stack.push(item);
    } else if (next !== null && typeof next === 'object' && !Buffer.isBuffer(next)) {
      for (const [key, item] of Object.entries(next)) {
        if (!isWellFormedText(key)) return false;
        stack.push(item);
      }
    }
  }
  return true;
}

export function registerWellFormedText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    if (
      allTextWellFormed(request.body) &&
      allTextWellFormed(request.query) &&
      allTextWellFormed(request.params)
    )
      return;
    return reply.code(400).send({
      error: {
        code: 'INVALID_INPUT',
        message: 'text must be well-formed Unicode (a lone UTF-16 surrogate was sent)',
      },
    });
  });
}
