// The console's only way to the server: a typed client (openapi-fetch) over the types generated from
// the server's OpenAPI document (schema.gen.ts), plus `call` for the security routes whose schemas
// the document does not carry yet (api/security-types.ts). Both add the session's CSRF token to
// state-changing requests, turn error bodies into ApiError with the server's stable code, and tell
// the session layer when the server answers 401, so an expired session is handled in one place.

import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema.gen.ts';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
    issues?: { field: string; reason: string }[];
    rows?: { row: number; line?: number; column?: string; reason: string }[];
    retryAfterSeconds?: number;
  };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: ErrorBody['error'],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The current session's CSRF token (from login or GET /api/auth/session). */
const session: { csrf?: string } = {};
const unauthenticatedListeners = new Set<() => void>();

/** The CSRF token of the current session (from login or GET /api/auth/session). */
export function setCsrfToken(token: string | undefined): void {
  session.csrf = token;
}

/** Called whenever the server answers 401: the session has ended (timeout, logout elsewhere). */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

function prepare(request: Request): Request {
  if (!SAFE_METHODS.has(request.method) && session.csrf) request.headers.set('X-CSRF-Token', session.csrf);
  return request;
}

async function toError(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = (await response.clone().json()) as Partial<ErrorBody>;
  } catch {}
  const error = body.error;
  if (response.status === 401 && !response.url.includes('/api/auth/')) {
    for (const listener of unauthenticatedListeners) listener();
  }
  return new ApiError(
    response.status,
    error?.code ?? (response.status >= 500 ? 'INTERNAL' : 'UNKNOWN'),
    error?.message ?? response.statusText,
    error,
  );
}

const middleware: Middleware = {
  onRequest: ({ request }) => prepare(request),
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(middleware);

/** The data of an openapi-fetch call, or its error as an ApiError. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, response } = await pending;
  if (!response.ok) throw await toError(response);
  return data as NonNullable<T>;
}

/** A request to a route the generated types do not describe yet; T is its documented answer. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const request = prepare(
    new Request(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }),
  );
  const response = await fetch(request);
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Uploads a file as text/csv; the server detects UTF-8 or Shift_JIS unless `encoding` says. */
export async function uploadCsv<T>(path: string, file: Blob, query: Record<string, string>): Promise<T> {
  const request = prepare(
    new Request(`${path}?${new URLSearchParams(query)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv' },
      body: file,
    }),
  );
  const response = await fetch(request);
  if (!response.ok) throw await toError(response);
  return (await response.json()) as T;
}
