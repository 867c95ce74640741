// Time-limited keys (/api/keys), guests (/api/guests), reservations (/api/reservations) and delivery
// codes (/api/deliveries). A key's delivery link — the only way to its QR code — is in the answer of
// the write that issues it (issue, new link, reservation, delivery) and nowhere else: it is kept in
// the mutation's result only, never in the query cache, so it is shown once and gone on leaving.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

type Schemas = components['schemas'];
export type Key = Schemas['Key'];
export type KeyUse = Schemas['KeyUse'];
export type KeyCreate = Schemas['KeyCreateInput'];
export type KeyPatch = Schemas['KeyPatchInput'];
export type IssuedKey = Schemas['IssuedKey'];
export type Guest = Schemas['Guest'];
export type GuestCreate = Schemas['GuestCreateInput'];
export type GuestPatch = Schemas['GuestPatchInput'];
export type Reservation = Schemas['Reservation'];
export type ReservationCreate = Schemas['ReservationCreateInput'];
export type ReservationCreated = Schemas['ReservationCreated'];
export type ReservationPatch = Schemas['ReservationPatchInput'];
export type DeliveryCreate = Schemas['DeliveryCreateInput'];
export type KeyQuery = Omit<
  NonNullable<paths['/api/keys']['get']['parameters']['query']>,
  'cursor' | 'limit'
>;
export type ReservationQuery = Omit<
  NonNullable<paths['/api/reservations']['get']['parameters']['query']>,
  'cursor' | 'limit'
>;

export const keyKeys = keysFor('keys');
export const guestKeys = keysFor('guests');
export const reservationKeys = keysFor('reservations');

const cursor = (c: string | undefined) => (c ? { cursor: c } : {});

export function useKeys(query: KeyQuery) {
  return useInfiniteQuery({
    queryKey: keyKeys.list(query),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/keys', { params: { query: { ...query, limit: 200, ...cursor(pageParam) } } })),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

export function useKeyUses(id: string | undefined) {
  return useQuery({
    queryKey: [...keyKeys.detail(id ?? ''), 'uses'],
    enabled: id !== undefined,
    queryFn: async () =>
      (await unwrap(api.GET('/api/keys/{id}/uses', { params: { path: { id: id! }, query: { limit: 200 } } })))
        .items,
  });
}

function useKeyWrite<V, R>(fn: (v: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: keyKeys.all }),
        client.invalidateQueries({ queryKey: reservationKeys.all }),
        client.invalidateQueries({ queryKey: guestKeys.all }),
      ]),
  });
}

export const useIssueKey = () => useKeyWrite((body: KeyCreate) => unwrap(api.POST('/api/keys', { body })));
export const useUpdateKey = () =>
  useKeyWrite(({ id, patch }: { id: string; patch: KeyPatch }) =>
    unwrap(api.PATCH('/api/keys/{id}', { params: { path: { id } }, body: patch })),
  );
export const useRevokeKey = () =>
  useKeyWrite((id: string) => unwrap(api.POST('/api/keys/{id}/revoke', { params: { path: { id } } })));
/** A new link, and with it a new secret: the old QR code stops working at once. */
export const useRelinkKey = () =>
  useKeyWrite((id: string) =>
    unwrap(api.POST('/api/keys/{id}/link', { params: { path: { id } }, body: {} })),
  );
export const useIssueDelivery = () =>
  useKeyWrite((body: DeliveryCreate) => unwrap(api.POST('/api/deliveries', { body })));

export function useGuests() {
  return useQuery({
    queryKey: guestKeys.lists(),
    queryFn: async () => {
      const items: Guest[] = [];
      let next: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/guests', { params: { query: { limit: 1000, ...cursor(next) } } }),
        );
        items.push(...page.items);
        next = page.next ?? undefined;
      } while (next);
      return items;
    },
  });
}

export const useCreateGuest = () =>
  useKeyWrite((body: GuestCreate) => unwrap(api.POST('/api/guests', { body })));
export const useUpdateGuest = () =>
  useKeyWrite(({ id, patch }: { id: string; patch: GuestPatch }) =>
    unwrap(api.PATCH('/api/guests/{id}', { params: { path: { id } }, body: patch })),
  );
export const useDeleteGuest = () =>
  useKeyWrite(async (id: string) => {
    const { response } = await api.DELETE('/api/guests/{id}', { params: { path: { id } } });
    if (!response.ok) await unwrap(Promise.resolve({ response }));
  });

export function useReservations(query: ReservationQuery) {
  return useInfiniteQuery({
    queryKey: reservationKeys.list(query),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/reservations', { params: { query: { ...query, limit: 200, ...cursor(pageParam) } } }),
      ),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

export const useCreateReservation = () =>
  useKeyWrite((body: ReservationCreate) =>
    // One Idempotency-Key per submission: the same request delivered twice (a retrying proxy) books once.
    unwrap(
      api.POST('/api/reservations', {
        body,
        params: { header: { 'idempotency-key': `console-${crypto.randomUUID()}` } },
      }),
    ),
  );
/** A changed booking moves its key's area and times with it (the key keeps its QR code). */
export const useUpdateReservation = () =>
  useKeyWrite(({ id, patch }: { id: string; patch: ReservationPatch }) =>
    unwrap(api.PATCH('/api/reservations/{id}', { params: { path: { id } }, body: patch })),
  );
export const useCancelReservation = () =>
  useKeyWrite((id: string) =>
    unwrap(api.POST('/api/reservations/{id}/cancel', { params: { path: { id } } })),
  );
