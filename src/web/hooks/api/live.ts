// Live state (/api/live/*): each door's state now (locked, unlocked, open, forced, held open,
// offline) with its mode and why, each controller's site modes (lockdown, threat level, fire zones),
// and how many are inside each area. Refetched when the push stream says something changed, polled
// while it is not connected.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { LINK_REFRESH_MS, useLiveRefresh } from '../live.ts';

export type LiveDoor = components['schemas']['LiveDoor'];
export type LiveController = components['schemas']['LiveController'];
export type LiveOccupancy = components['schemas']['LiveOccupancy'];

export const liveKeys = {
  all: ['live'] as const,
  doors: ['live', 'doors'] as const,
  controllers: ['live', 'controllers'] as const,
  occupancy: ['live', 'occupancy'] as const,
  muster: ['live', 'muster'] as const,
};

export function useLiveDoors() {
  const refetchInterval = useLiveRefresh(LINK_REFRESH_MS);
  return useQuery({
    queryKey: liveKeys.doors,
    queryFn: async () => (await unwrap(api.GET('/api/live/doors'))).items,
    refetchInterval,
    staleTime: 0,
  });
}

export function useLiveControllers() {
  const refetchInterval = useLiveRefresh(LINK_REFRESH_MS);
  return useQuery({
    queryKey: liveKeys.controllers,
    queryFn: async () => (await unwrap(api.GET('/api/live/controllers'))).items,
    refetchInterval,
    staleTime: 0,
  });
}

export function useLiveOccupancy() {
  const refetchInterval = useLiveRefresh();
  return useQuery({
    queryKey: liveKeys.occupancy,
    queryFn: async () => (await unwrap(api.GET('/api/live/occupancy'))).items,
    refetchInterval,
    staleTime: 0,
  });
}
