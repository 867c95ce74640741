// The audit log (/api/audit): newest first, filtered, paged on; and its hash-chain check.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import { keysFor } from './keys.ts';

export const auditKeys = keysFor('audit');

export function useAudit(filter: { actor?: string; actionPrefix?: string }) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(filter),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/audit', {
          params: { query: { limit: 100, ...filter, ...(pageParam && { cursor: pageParam }) } },
        }),
      ),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

export function useAuditChain() {
  return useQuery({
    queryKey: [...auditKeys.all, 'verify'],
    queryFn: () => unwrap(api.GET('/api/audit/verify')),
    staleTime: 60_000,
  });
}
