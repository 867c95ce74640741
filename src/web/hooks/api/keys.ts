// One query-key factory per API resource, so a mutation invalidates exactly the lists and details it
// changes (and the push stream can do the same for changes made elsewhere).
export function keysFor<R extends string>(resource: R) {
  return {
    all: [resource] as const,
    lists: () => [resource, 'list'] as const,
    list: (params: object = {}) => [resource, 'list', params] as const,
    details: () => [resource, 'detail'] as const,
    detail: (id: string) => [resource, 'detail', id] as const,
  };
}
