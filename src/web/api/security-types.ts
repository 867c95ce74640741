// Names for the answers of the security routes (/api/auth, /api/operators, /api/audit, /api/alarms,
// controller status). Where the OpenAPI document describes an answer these are the generated types
// (schema.gen.ts), so a change on the server breaks the typecheck; the few answers the document
// leaves open (the session, an enrolment answer) are written here from docs/security-model.md.
import type { components, paths } from './schema.gen.ts';

type Schemas = components['schemas'];

export type Operator = Schemas['Operator'];
export type Role = Operator['role'];
export type Scope = Operator['scope'];
export type SecondFactor = NonNullable<Schemas['LoginAnswer']['secondFactors']>[number];
export type SessionStage = Schemas['LoginAnswer']['stage'];

export interface MfaStatus {
  totp: boolean;
  webauthn: number;
  backupCodes: number;
}

/** The document types `mfa` as an open object; its fields are those of MfaStatus. */
export type OperatorDetail = Omit<Schemas['OperatorDetail'], 'mfa'> & { mfa: MfaStatus };

export type SessionInfo =
  | {
      kind: 'operator';
      stage: SessionStage;
      csrfToken: string;
      operator: Operator;
      mfa: MfaStatus;
      /** what the operator's role allows (empty until fully signed in) */
      permissions: Permission[];
    }
  | { kind: 'token'; id: string; role: Role; scope: Scope; permissions?: string[] };

export type LoginAnswer = Schemas['LoginAnswer'];

export interface EnrolAnswer {
  enrolled: true;
  stage: SessionStage;
  csrfToken: string;
  operator?: Operator;
  backupCodes?: string[];
}

export type ApiToken = Schemas['ApiToken'];
export type Permission = ApiToken['permissions'][number];
export type NewApiToken = paths['/api/auth/tokens']['post']['responses'][201]['content']['application/json'];

export type AuditEntry = Schemas['AuditRecord'];
export type AuditVerdict = paths['/api/audit/verify']['get']['responses'][200]['content']['application/json'];

export type Alarm = Schemas['Alarm'];
export type AlarmWithComments = Schemas['AlarmWithComments'];
export type AlarmComment = Schemas['AlarmComment'];
export type AlarmState = Alarm['state'];
export type Severity = Alarm['severity'];

export type ControllerLinkStatus = Schemas['ControllerStatus'];
