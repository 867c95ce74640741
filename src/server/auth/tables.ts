// Table types for administrator security: operators and their credentials, sessions, API tokens,
// the login throttle and setup tokens. Same conventions as storage/schema.ts: times are milliseconds
// since the epoch, booleans are 0/1 integers, lists are JSON text, so one schema serves SQLite and
// PostgreSQL. Secrets are never stored as given: passwords as argon2id, tokens and session ids as
// SHA-256, backup codes as HMAC, TOTP secrets encrypted with the installation key.

export interface OperatorsTable {
  id: string;
  /** normalised (NFKC, lower case); unique */
  username: string;
  email: string | null;
  display_name: string;
  role: string;
  /** JSON string[] */
  scope_departments: string;
  /** JSON string[] */
  scope_sites: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface PasswordCredentialsTable {
  operator_id: string;
  /** argon2id PHC string */
  hash: string;
  changed_at: number;
}

export interface TotpFactorsTable {
  operator_id: string;
  /** AES-256-GCM under the installation key: iv.tag.ciphertext, base64url */
  secret_enc: string;
  confirmed: number;
  /** the last accepted time step; a code at or before it is a replay */
  last_step: number;
  created_at: number;
}

export interface WebauthnCredentialsTable {
  /** base64url credential id */
  id: string;
  operator_id: string;
  /** base64url COSE public key */
  public_key: string;
  counter: number;
  /** JSON string[] */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface BackupCodesTable {
  id: string;
  operator_id: string;
  /** HMAC-SHA256 under the installation key, hex */
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface AuthSessionsTable {
  /** SHA-256 of the cookie value, hex */
  id_hash: string;
  operator_id: string;
  /** 'mfa' (password accepted, second factor pending), 'enrol' (must enrol MFA first), 'full' */
  stage: string;
  created_at: number;
  last_seen_at: number;
  /** absolute end of the session, whatever the activity */
  expires_at: number;
  source: string;
  /** pending WebAuthn challenge for this session, if any */
  challenge: string | null;
  challenge_expires_at: number | null;
  /** how the session began: 'password' (null in sessions from before SSO) or 'oidc' */
  first_factor: string | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the token, hex; unique */
  token_hash: string;
  created_by: string;
  role: string;
  /** JSON Permission[] */
  permissions: string;
  /** JSON Scope, or 'all' */
  scope: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface LoginThrottleTable {
  /** the normalised username as typed, known or not, so lockout reveals nothing about existence */
  username: string;
  failures: number;
  locked_until: number | null;
  last_failure_at: number;
}

export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface OperatorAddressesTable {
  operator_id: string;
  address: string;
  first_seen: number;
  last_seen: number;
}

export interface OperatorOidcLinksTable {
  operator_id: string;
  /** the provider's issuer identifier, as configured when the link was made */
  issuer: string;
  /** the value of the identifying claim (by default `sub`); unique per issuer */
  subject: string;
  created_at: number;
}

export interface OidcLoginsTable {
  /** SHA-256 of the flow cookie's value, hex */
  id_hash: string;
  state: string;
  nonce: string;
  /** the PKCE code verifier, AES-256-GCM under the installation key */
  verifier_enc: string;
  created_at: number;
  expires_at: number;
}

export type AuthTables = {
  operators: OperatorsTable;
  password_credentials: PasswordCredentialsTable;
  totp_factors: TotpFactorsTable;
  webauthn_credentials: WebauthnCredentialsTable;
  backup_codes: BackupCodesTable;
  auth_sessions: AuthSessionsTable;
  api_tokens: ApiTokensTable;
  login_throttle: LoginThrottleTable;
  setup_tokens: SetupTokensTable;
  operator_addresses: OperatorAddressesTable;
  operator_oidc_links: OperatorOidcLinksTable;
  oidc_logins: OidcLoginsTable;
};
