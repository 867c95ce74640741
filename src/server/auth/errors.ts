// The error catalogue of the security endpoints: stable UPPER_SNAKE codes with their HTTP status.
// Login failures share one code whatever went wrong, so answers never tell which usernames exist.

export const AUTH_ERRORS = {
  LOGIN_FAILED: 401,
  LOGIN_LOCKED: 429,
  RATE_LIMITED: 429,
  UNAUTHENTICATED: 401,
  SECOND_FACTOR_REQUIRED: 403,
  SECOND_FACTOR_FAILED: 401,
  MFA_ENROLMENT_REQUIRED: 403,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  ADDRESS_NOT_ALLOWED: 403,
  INVALID_INPUT: 400,
  PASSWORD_TOO_SHORT: 400,
  PASSWORD_TOO_LONG: 400,
  PASSWORD_TOO_COMMON: 400,
  PASSWORD_TOO_WEAK: 400,
  PASSWORD_INVALID: 400,
  PASSWORD_IS_USERNAME: 400,
  SETUP_TOKEN_INVALID: 401,
  SETUP_ALREADY_DONE: 409,
  OPERATOR_EXISTS: 409,
  OPERATOR_NOT_FOUND: 404,
  LAST_ADMIN: 409,
  TOTP_ALREADY_ENROLLED: 409,
  TOTP_NOT_PENDING: 409,
  TOTP_CODE_INVALID: 400,
  WEBAUTHN_NO_CHALLENGE: 409,
  WEBAUTHN_VERIFICATION_FAILED: 400,
  TOKEN_NOT_FOUND: 404,
  ALARM_NOT_FOUND: 404,
  ALARM_STATE_CONFLICT: 409,
  NOT_FOUND: 404,
  OIDC_NOT_CONFIGURED: 404,
  OIDC_PROVIDER_UNAVAILABLE: 503,
  OIDC_STATE_INVALID: 400,
  OIDC_LOGIN_FAILED: 401,
  OIDC_NOT_ALLOWED: 403,
  OIDC_LINK_TAKEN: 409,
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

export class AuthError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AuthError';
    this.statusCode = AUTH_ERRORS[code];
  }
}

/** The one error body shape: `{ error: { code, message } }`. */
export function errorBody(code: string, message: string, extra?: Record<string, unknown>) {
  return { error: { code, message, ...extra } };
}
