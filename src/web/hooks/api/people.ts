// People (/api/people): paged lists (100,000 people do not fit one answer), one person, create,
// change (mark as left), delete.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Person = components['schemas']['Person'];
export type PersonCreate = paths['/api/people']['post']['requestBody']['content']['application/json'];
export type PersonPatch = NonNullable<
  paths['/api/people/{id}']['patch']['requestBody']
>['content']['application/json'];
export type PeopleQuery = Omit<NonNullable<paths['/api/people']['get']['parameters']['query']>, 'cursor'>;

export const peopleKeys = keysFor('people');

export function usePeople(query: PeopleQuery = {}) {
  return useInfiniteQuery({
    queryKey: peopleKeys.list(query),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/people', {
          params: { query: { limit: 200, ...query, ...(pageParam && { cursor: pageParam }) } },
        }),
      ),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

export function usePerson(id: string | undefined) {
  return useQuery({
    queryKey: peopleKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/people/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreatePerson() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PersonCreate) => unwrap(api.POST('/api/people', { body })),
    onSuccess: (person) => {
      client.setQueryData(peopleKeys.detail(person.id), person);
      return client.invalidateQueries({ queryKey: peopleKeys.lists() });
    },
  });
}

export function useUpdatePerson() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: PersonPatch }) =>
      unwrap(api.PATCH('/api/people/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (person) => {
      client.setQueryData(peopleKeys.detail(person.id), person);
      return client.invalidateQueries({ queryKey: peopleKeys.lists() });
    },
  });
}

export function useDeletePerson() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/people/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: peopleKeys.detail(id) });
      return client.invalidateQueries({ queryKey: peopleKeys.lists() });
    },
  });
}
