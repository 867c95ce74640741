// The controller link (/api/controllers/:id/status, enrollment, restart, baseline): online state,
// software version, clock drift, snapshot version and last contact of each controller.
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { ControllerLinkStatus } from '../../api/security-types.ts';
import { LINK_REFRESH_MS, useLiveRefresh } from '../live.ts';
import { keysFor } from './keys.ts';

export const controllerStatusKeys = keysFor('controllerStatus');

export function useControllerStatuses(ids: string[]) {
  // A link going up or down is not a stream event: checked every 30 s while the stream is live.
  const refetchInterval = useLiveRefresh(LINK_REFRESH_MS);
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: controllerStatusKeys.detail(id),
      queryFn: () => unwrap(api.GET('/api/controllers/{id}/status', { params: { path: { id } } })),
      refetchInterval,
    })),
  });
}

export function useEnrollmentToken() {
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/controllers/{id}/enrollment', { params: { path: { id } } })),
  });
}

export function useControllerCommand() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, command, reason }: { id: string; command: 'restart' | 'baseline'; reason?: string }) =>
      unwrap<unknown>(
        command === 'restart'
          ? api.POST('/api/controllers/{id}/restart', {
              params: { path: { id } },
              body: { reason: reason ?? '' },
            })
          : api.POST('/api/controllers/{id}/baseline', { params: { path: { id } } }),
      ),
    onSuccess: (_r, { id }) => client.invalidateQueries({ queryKey: controllerStatusKeys.detail(id) }),
  });
}

/** Whether the controller is reachable: the server says its link is up (enrolled and heard lately). */
export function isOnline(status: ControllerLinkStatus | undefined): boolean {
  return status?.enrolled === true && status.link === 'up';
}
