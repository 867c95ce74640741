// The operator's session: who is signed in and at which step (second factor pending, MFA enrolment
// required, or fully signed in), first-run setup, login with each second factor, MFA enrolment,
// backup codes, password change and logout. The CSRF token each answer carries goes to the client.

import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, call, setCsrfToken } from '../../api/client.ts';
import type { EnrolAnswer, LoginAnswer, Permission, SessionInfo } from '../../api/security-types.ts';

export const sessionKey = ['session'] as const;

async function fetchSession(): Promise<SessionInfo | null> {
  try {
    const session = await call<SessionInfo>('GET', '/api/auth/session');
    setCsrfToken(session.kind === 'operator' ? session.csrfToken : undefined);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(undefined);
      return null;
    }
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: sessionKey, queryFn: fetchSession, staleTime: 60_000, retry: false });
}

/**
 * Whether the caller may take an action that needs this permission (the server's answer in the
 * session): pages hide what the role cannot do. The server still checks every call.
 */
export function useCan(): (permission: Permission) => boolean {
  const session = useSession().data;
  const granted = new Set<string>(session?.permissions ?? []);
  return (permission) => granted.has(permission);
}

/** A mutation whose answer starts or changes the session: keep its CSRF token, then re-read the session. */
function useSessionMutation<V, R extends { csrfToken?: string }>(fn: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async (answer) => {
      if (answer.csrfToken) setCsrfToken(answer.csrfToken);
      await client.invalidateQueries({ queryKey: sessionKey });
    },
  });
}

export function useSetup() {
  return useMutation({
    mutationFn: (body: { token: string; username: string; password: string; displayName?: string }) =>
      call<{ operator: { username: string } }>('POST', '/api/auth/setup', body),
  });
}

export function useLogin() {
  return useSessionMutation((body: { username: string; password: string }) =>
    call<LoginAnswer>('POST', '/api/auth/login', body),
  );
}

export function useSecondFactorLogin() {
  return useSessionMutation(async (factor: { kind: 'totp' | 'backup_code'; code: string }) =>
    call<LoginAnswer>(
      'POST',
      factor.kind === 'totp' ? '/api/auth/login/totp' : '/api/auth/login/backup-code',
      { code: factor.code },
    ),
  );
}

export function usePasskeyLogin() {
  return useSessionMutation(async () => {
    const options = await call<Parameters<typeof startAuthentication>[0]['optionsJSON']>(
      'POST',
      '/api/auth/login/webauthn/options',
      {},
    );
    const response = await startAuthentication({ optionsJSON: options });
    return call<LoginAnswer>('POST', '/api/auth/login/webauthn/verify', { response });
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call<{ loggedOut: true }>('POST', '/api/auth/logout', {}),
    onSettled: () => {
      setCsrfToken(undefined);
      client.clear();
      client.setQueryData(sessionKey, null);
    },
  });
}

export function useTotpEnrolment() {
  return useMutation({
    mutationFn: () => call<{ secret: string; uri: string }>('POST', '/api/auth/totp/enrol', {}),
  });
}

export function useTotpConfirm() {
  return useSessionMutation((code: string) => call<EnrolAnswer>('POST', '/api/auth/totp/verify', { code }));
}

export function usePasskeyRegistration() {
  return useSessionMutation(async (name: string) => {
    const options = await call<Parameters<typeof startRegistration>[0]['optionsJSON']>(
      'POST',
      '/api/auth/webauthn/register/options',
      {},
    );
    const response = await startRegistration({ optionsJSON: options });
    return call<EnrolAnswer>('POST', '/api/auth/webauthn/register/verify', { response, name });
  });
}

export function useNewBackupCodes() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call<{ codes: string[] }>('POST', '/api/auth/backup-codes', {}),
    onSuccess: () => client.invalidateQueries({ queryKey: sessionKey }),
  });
}

export function usePasswordChange() {
  return useSessionMutation((body: { currentPassword: string; newPassword: string }) =>
    call<{ changed: true; csrfToken: string }>('POST', '/api/auth/password', body),
  );
}

/** How operators can sign in here: whether single sign-on (OpenID Connect) is offered. */
export function useAuthConfig() {
  return useQuery({
    queryKey: ['auth-config'],
    queryFn: () => call<{ sso: { enabled: boolean } }>('GET', '/api/auth/config'),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** Single sign-on is a browser navigation to the provider and back, not an API call. */
export function startSingleSignOn(): void {
  window.location.assign('/api/auth/oidc/start');
}
