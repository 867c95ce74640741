// Operators (/api/operators): list, create with a role and scope, change, disable, recover.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../../api/client.ts';
import type { OperatorDetail, Role } from '../../api/security-types.ts';
import { keysFor } from './keys.ts';

export const operatorKeys = keysFor('operators');

export interface OperatorCreate {
  username: string;
  displayName?: string;
  email?: string;
  role: Role;
  scope?: { departments: string[]; sites: string[] };
  password: string;
}

export function useOperators() {
  return useQuery({
    queryKey: operatorKeys.lists(),
    queryFn: async () => (await call<{ operators: OperatorDetail[] }>('GET', '/api/operators')).operators,
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
  return useOperatorMutation((body: OperatorCreate) => call<OperatorDetail>('POST', '/api/operators', body));
}

export function useUpdateOperator() {
  return useOperatorMutation(
    ({
      id,
      patch,
    }: {
      id: string;
      patch: Partial<Pick<OperatorCreate, 'displayName' | 'role' | 'scope'>> & { disabled?: boolean };
    }) => call<OperatorDetail>('PATCH', `/api/operators/${encodeURIComponent(id)}`, patch),
  );
}

export function useRecoverOperator() {
  return useOperatorMutation(({ id, newPassword }: { id: string; newPassword?: string }) =>
    call<OperatorDetail>('POST', `/api/operators/${encodeURIComponent(id)}/recover`, {
      unlock: true,
      resetMfa: true,
      ...(newPassword && { newPassword }),
    }),
  );
}
