// Controllers (/api/controllers): the registry; status, enrollment and restart are in controller-link.ts.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Controller = components['schemas']['Controller'];
export type ControllerCreate =
  paths['/api/controllers']['post']['requestBody']['content']['application/json'];
export type ControllerPatch = NonNullable<
  paths['/api/controllers/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/controllers']['get']['parameters']['query']>;

export const controllersKeys = keysFor('controllers');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useControllers(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: controllersKeys.list(query),
    queryFn: async () => {
      const items: Controller[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/controllers', {
            params: { query: { ...query, limit: 1000, ...(cursor && { cursor }) } },
          }),
        );
        items.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor);
      return items;
    },
  });
}

export function useController(id: string | undefined) {
  return useQuery({
    queryKey: controllersKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/controllers/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateController() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ControllerCreate) => unwrap(api.POST('/api/controllers', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: controllersKeys.lists() }),
  });
}

export function useUpdateController() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: ControllerPatch }) =>
      unwrap(api.PATCH('/api/controllers/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(controllersKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: controllersKeys.lists() });
    },
  });
}

export function useDeleteController() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/controllers/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: controllersKeys.detail(id) });
      return client.invalidateQueries({ queryKey: controllersKeys.lists() });
    },
  });
}
