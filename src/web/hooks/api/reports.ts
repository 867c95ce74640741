// Reports (/api/reports/*): each page reads the JSON form; the CSV download and the printable page
// are plain links to the same report (the server streams them and audits the read).
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { useLiveRefresh } from '../live.ts';
import { keysFor } from './keys.ts';

export type MusterReport = components['schemas']['MusterReport'];
export type MusterEntry = components['schemas']['MusterEntry'];

export const reportKeys = keysFor('reports');
/** Every muster query, whatever its filters (the push stream refreshes them on each passage). */
export const musterKey = reportKeys.list({ report: 'muster' });

/** Who is inside each area now (and who left since an alarm, when one is given); kept fresh. */
export function useMuster(query: { alarm?: string; since?: string }) {
  const refetchInterval = useLiveRefresh();
  return useQuery({
    queryKey: reportKeys.list({ report: 'muster', ...query }),
    queryFn: () => unwrap(api.GET('/api/reports/muster', { params: { query } })),
    refetchInterval,
  });
}
