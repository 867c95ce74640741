// API tokens (/api/auth/tokens): list, create (the token is shown once), revoke.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../../api/client.ts';
import type { ApiToken } from '../../api/security-types.ts';
import { keysFor } from './keys.ts';

export const tokenKeys = keysFor('tokens');

export function useTokens() {
  return useQuery({
    queryKey: tokenKeys.lists(),
    queryFn: async () => (await call<{ tokens: ApiToken[] }>('GET', '/api/auth/tokens')).tokens,
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; permissions: string[]; expiresInDays?: number }) =>
      call<ApiToken & { token: string }>('POST', '/api/auth/tokens', body),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call('DELETE', `/api/auth/tokens/${encodeURIComponent(id)}`),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}
