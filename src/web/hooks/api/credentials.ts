// Credentials (/api/credentials): a person's cards, PINs, keys; issue, change state (suspend, lost,
// revoke), validity and PIN (write-only: the console never receives one back).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Credential = components['schemas']['Credential'];
export type CredentialCreate =
  paths['/api/credentials']['post']['requestBody']['content']['application/json'];
export type CredentialPatch = NonNullable<
  paths['/api/credentials/{id}']['patch']['requestBody']
>['content']['application/json'];

export const credentialKeys = keysFor('credentials');

export function usePersonCredentials(personId: string) {
  return useQuery({
    queryKey: credentialKeys.list({ personId }),
    queryFn: async () =>
      (await unwrap(api.GET('/api/credentials', { params: { query: { personId, limit: 1000 } } }))).items,
  });
}

export function useIssueCredential() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CredentialCreate) => unwrap(api.POST('/api/credentials', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: credentialKeys.lists() }),
  });
}

export function useUpdateCredential() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: CredentialPatch }) =>
      unwrap(api.PATCH('/api/credentials/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: () => client.invalidateQueries({ queryKey: credentialKeys.lists() }),
  });
}
