// The controller link (/api/controllers/:id/status, enrollment, restart, baseline): online state,
// software version, clock drift, snapshot version and last contact of each controller.
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { call } from '../../api/client.ts';
import type { ControllerLinkStatus } from '../../api/security-types.ts';
import { LIVE_REFRESH_MS } from '../live.ts';
import { keysFor } from './keys.ts';

export const controllerStatusKeys = keysFor('controllerStatus');

export function useControllerStatuses(ids: string[]) {
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: controllerStatusKeys.detail(id),
      queryFn: () => call<ControllerLinkStatus>('GET', `/api/controllers/${encodeURIComponent(id)}/status`),
      refetchInterval: LIVE_REFRESH_MS,
    })),
  });
}

export function useEnrollmentToken() {
  return useMutation({
    mutationFn: (id: string) =>
      call<{ token: string; expiresAt: string }>(
        'POST',
        `/api/controllers/${encodeURIComponent(id)}/enrollment`,
        {},
      ),
  });
}

export function useControllerCommand() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, command, reason }: { id: string; command: 'restart' | 'baseline'; reason?: string }) =>
      call(
        'POST',
        `/api/controllers/${encodeURIComponent(id)}/${command}`,
        command === 'restart' ? { reason: reason ?? '' } : {},
      ),
    onSuccess: (_r, { id }) => client.invalidateQueries({ queryKey: controllerStatusKeys.detail(id) }),
  });
}

/** Heartbeats come every 5 s by default and the link counts as lost after 15 s of silence. */
const RECENT_MS = 30_000;

/**
 * Whether the controller is reachable: the link is up, or (the server records a first contact as
 * `unknown` until a loss and a return) it was heard from within the last half minute.
 */
export function isOnline(status: ControllerLinkStatus | undefined, now = Date.now()): boolean {
  if (!status?.enrolled || status.linkState === 'lost') return false;
  if (status.linkState === 'up') return true;
  return status.lastSeenAt != null && now - new Date(status.lastSeenAt).getTime() < RECENT_MS;
}
