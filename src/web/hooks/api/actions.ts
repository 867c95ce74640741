// Operator actions (/api/actions): unlock a door, override it for a while, end an override,
// lockdown, forgive, reset, clear fire — sent by the server as signed commands to exactly the
// controllers concerned; the answer has each controller's outcome.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type ActionRequest = components['schemas']['ActionRequest'];
export type ActionStatus = components['schemas']['ActionStatus'];

export const actionKeys = keysFor('actions');

export function usePerformAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ActionRequest) => unwrap(api.POST('/api/actions', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: actionKeys.all }),
  });
}
