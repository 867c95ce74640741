// Operators (/api/operators): list, create with a role and scope, change, disable, recover.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { paths } from '../../api/schema.gen.ts';
import type { OperatorDetail } from '../../api/security-types.ts';
import { keysFor } from './keys.ts';

export const operatorKeys = keysFor('operators');

export type OperatorCreate = paths['/api/operators']['post']['requestBody']['content']['application/json'];
type OperatorPatch = NonNullable<
  paths['/api/operators/{id}']['patch']['requestBody']
>['content']['application/json'];

/** The document types `mfa` as an open object; its fields are those of MfaStatus. */
const detail = (operator: unknown) => operator as OperatorDetail;

export function useOperators() {
  return useQuery({
    queryKey: operatorKeys.lists(),
    queryFn: async () => (await unwrap(api.GET('/api/operators'))).items.map(detail),
  });
}

function useOperatorMutation<V>(fn: (variables: V) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: operatorKeys.all }),
  });
}

export function useCreateOperator() {
  return useOperatorMutation(async (body: OperatorCreate) =>
    detail(await unwrap(api.POST('/api/operators', { body }))),
  );
}

export function useUpdateOperator() {
  return useOperatorMutation(async ({ id, patch }: { id: string; patch: OperatorPatch }) =>
    detail(await unwrap(api.PATCH('/api/operators/{id}', { params: { path: { id } }, body: patch }))),
  );
}

export function useRecoverOperator() {
  return useOperatorMutation(async ({ id, newPassword }: { id: string; newPassword?: string }) =>
    detail(
      await unwrap(
        api.POST('/api/operators/{id}/recover', {
          params: { path: { id } },
          body: { unlock: true, resetMfa: true, ...(newPassword && { newPassword }) },
        }),
      ),
    ),
  );
}
