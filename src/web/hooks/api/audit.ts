// The audit log (/api/audit): newest first, filtered, paged backwards; and its hash-chain check.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { call } from '../../api/client.ts';
import type { AuditEntry, AuditVerdict } from '../../api/security-types.ts';
import { keysFor } from './keys.ts';

export const auditKeys = keysFor('audit');

export function useAudit(filter: { actor?: string; actionPrefix?: string }) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(filter),
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ limit: '100' });
      for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
      if (pageParam !== undefined) params.set('before', String(pageParam));
      return call<{ records: AuditEntry[]; nextBefore: number | null }>('GET', `/api/audit?${params}`);
    },
    getNextPageParam: (page) => page.nextBefore ?? undefined,
  });
}

export function useAuditChain() {
  return useQuery({
    queryKey: [...auditKeys.all, 'verify'],
    queryFn: () => call<AuditVerdict>('GET', '/api/audit/verify'),
    staleTime: 60_000,
  });
}
