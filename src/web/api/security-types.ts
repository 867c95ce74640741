// Answers of the security routes (/api/auth, /api/operators, /api/audit, /api/alarms) as documented in
// docs/security-model.md and served by src/server/auth, src/server/audit and src/server/alarms. The
// OpenAPI document lists these routes without schemas for now, so their types are written here; once
// the document describes them, these give way to the generated ones (schema.gen.ts).

/** Epoch milliseconds today; ISO 8601 once the security routes follow the API's time format. */
export type Instant = number | string;

export type Role = 'admin' | 'operator' | 'auditor' | 'maintainer';
export type Scope = { departments: string[]; sites: string[] } | 'all';
export type SecondFactor = 'totp' | 'webauthn' | 'backup_code';
export type SessionStage = 'mfa' | 'enrol' | 'full';

export interface OperatorSummary {
  id: string;
  username: string;
  email: string | null;
  displayName: string;
  role: Role;
  scope: Scope;
  disabled: boolean;
}

export interface MfaStatus {
  totp: boolean;
  webauthn: number;
  backupCodes: number;
}

export interface OperatorDetail extends OperatorSummary {
  mfa: MfaStatus;
  lockedUntil: Instant | null;
}

export type SessionInfo =
  | { kind: 'operator'; stage: SessionStage; csrfToken: string; operator: OperatorSummary; mfa: MfaStatus }
  | { kind: 'token'; id: string; role: Role; scope: Scope; permissions?: string[] };

export interface LoginAnswer {
  stage: SessionStage;
  csrfToken: string;
  operator: OperatorSummary;
  secondFactors?: SecondFactor[];
}

export interface EnrolAnswer {
  enrolled: true;
  stage: SessionStage;
  csrfToken: string;
  operator?: OperatorSummary;
  backupCodes?: string[];
}

export interface ApiToken {
  id: string;
  name: string;
  createdBy: string;
  role: Role;
  permissions: string[];
  scope: Scope;
  createdAt: Instant;
  expiresAt: Instant | null;
  revokedAt: Instant | null;
  lastUsedAt: Instant | null;
}

export interface AuditEntry {
  id: number;
  at: Instant;
  actor: string;
  source: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  hash: string;
}

export type AuditVerdict =
  | { ok: true; records: number }
  | { ok: false; records: number; firstBad: number; problem: string };

export type AlarmState = 'active' | 'acknowledged' | 'resolved';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

export interface Alarm {
  id: string;
  type: string;
  state: AlarmState;
  severity: Severity;
  source: string;
  site: string | null;
  message: string;
  detail: Record<string, unknown>;
  occurrences: number;
  raisedAt: Instant;
  lastRaisedAt: Instant;
  acknowledgedAt: Instant | null;
  acknowledgedBy: string | null;
  resolvedAt: Instant | null;
  resolvedBy: string | null;
}

export interface AlarmComment {
  id: string;
  at: Instant;
  author: string;
  text: string;
}

/** GET /api/controllers/:id/status (documented in docs/api.md; no response schema in OpenAPI yet). */
export interface ControllerLinkStatus {
  controllerId: string;
  enrolled: boolean;
  enrolledAt?: Instant | null;
  linkState: string;
  lastSeenAt?: Instant | null;
  softwareVersion?: string | null;
  configHash?: string | null;
  configBaseline?: string | null;
  configMatchesBaseline?: boolean | null;
  clockOffsetMs?: number | null;
  journalPending?: number | null;
  snapshotVersion?: number | null;
}
