// Explaining decisions (/api/doors/:id/access, /api/explain/preview): who can pass a door at an
// instant and why not, paged by person; and what a change to an access level or schedule would do.
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type DoorAccessItem = components['schemas']['DoorAccessItem'];
export type ChangePreview = components['schemas']['ChangePreview'];
export type ProposedChange =
  paths['/api/explain/preview']['post']['requestBody']['content']['application/json'];
export type DoorAccessQuery = Omit<
  NonNullable<paths['/api/doors/{id}/access']['get']['parameters']['query']>,
  'cursor' | 'limit'
>;

export const explainKeys = keysFor('explain');

export function useDoorAccess(door: string | undefined, query: DoorAccessQuery) {
  return useInfiniteQuery({
    queryKey: explainKeys.list({ door, ...query }),
    enabled: door !== undefined && door !== '',
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/doors/{id}/access', {
          params: {
            path: { id: door! },
            query: { limit: 100, ...query, ...(pageParam && { cursor: pageParam }) },
          },
        }),
      ),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

export function usePreviewChange() {
  return useMutation({
    mutationFn: (change: ProposedChange) => unwrap(api.POST('/api/explain/preview', { body: change })),
  });
}
