// Mobile keys (/api/people/{id}/mobile-devices, /api/mobile-devices, invitations): a person's phones,
// their removal (revoked at once on every controller), and a one-time invitation link for a phone.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { credentialKeys } from './credentials.ts';
import { keysFor } from './keys.ts';

export type MobileDevice = components['schemas']['MobileDevice'];
export type MobileInvitation = components['schemas']['MobileInvitation'];

export const mobileDeviceKeys = keysFor('mobile-devices');

export function usePersonMobileDevices(personId: string) {
  return useQuery({
    queryKey: mobileDeviceKeys.list({ personId }),
    queryFn: async () =>
      (await unwrap(api.GET('/api/people/{id}/mobile-devices', { params: { path: { id: personId } } })))
        .items,
  });
}

export function useInviteMobileDevice() {
  return useMutation({
    mutationFn: ({ personId, hours }: { personId: string; hours: number }) =>
      unwrap(
        api.POST('/api/people/{id}/mobile-invitations', {
          params: { path: { id: personId } },
          body: { hours, label: null },
        }),
      ),
  });
}

export function useRemoveMobileDevice() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/mobile-devices/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: mobileDeviceKeys.lists() });
      void client.invalidateQueries({ queryKey: credentialKeys.lists() });
    },
  });
}
