// API tokens (/api/auth/tokens): list, create (the token is shown once), revoke.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { Permission } from '../../api/security-types.ts';
import { keysFor } from './keys.ts';

export const tokenKeys = keysFor('tokens');

export function useTokens() {
  return useQuery({
    queryKey: tokenKeys.lists(),
    queryFn: async () => (await unwrap(api.GET('/api/auth/tokens'))).items,
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; permissions: Permission[]; expiresInDays?: number }) =>
      unwrap(api.POST('/api/auth/tokens', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/auth/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}
