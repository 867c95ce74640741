// KeyError (service.ts) → the API's one error shape, fields named as the request has them.

import { ApiError, type ApiErrorCode } from '../http/errors.ts';
import { KeyError } from './service.ts';

const NOT_FOUND: Record<KeyError['resource'], ApiErrorCode> = {
  guest: 'GUEST_NOT_FOUND',
  key: 'KEY_NOT_FOUND',
  key_link: 'KEY_LINK_GONE',
  reservation: 'RESERVATION_NOT_FOUND',
};

export function toApiError(error: KeyError): ApiError {
  const field = error.field === undefined ? undefined : `body.${error.field}`;
  const extra = field === undefined ? {} : { field, issues: [{ field, reason: error.message }] };
  const text = field ? `${field}: ${error.message}` : error.message;
  switch (error.kind) {
    case 'not_found':
      return new ApiError(NOT_FOUND[error.resource], error.message);
    case 'gone':
      return new ApiError('KEY_LINK_GONE', error.message);
    case 'exists':
      return new ApiError(
        error.resource === 'reservation' ? 'RESERVATION_EXISTS' : 'GUEST_EXISTS',
        text,
        extra,
      );
    case 'unknown_reference':
      return new ApiError('UNKNOWN_REFERENCE', text, extra);
    case 'out_of_scope':
      return new ApiError('OUT_OF_SCOPE', text, extra);
    case 'invalid':
      return new ApiError('INVALID_INPUT', text, extra);
  }
}

/** Runs `fn`, answering a KeyError in the API's shape. */
export async function mapKeyErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof KeyError) throw toApiError(error);
    throw error;
  }
}
