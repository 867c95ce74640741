// Reports (/api/reports/*): each page reads the JSON form; the CSV download and the printable page
// are plain links to the same report (the server streams them and audits the read).
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { LIVE_REFRESH_MS } from '../live.ts';
import { keysFor } from './keys.ts';

export type MusterReport = components['schemas']['MusterReport'];
export type MusterEntry = components['schemas']['MusterEntry'];

export const reportKeys = keysFor('reports');

/** Who is inside each area now (and who left since an alarm, when one is given); kept fresh. */
export function useMuster(query: { alarm?: string; since?: string }) {
  return useQuery({
    queryKey: reportKeys.list({ report: 'muster', ...query }),
    queryFn: () => unwrap(api.GET('/api/reports/muster', { params: { query } })),
    refetchInterval: LIVE_REFRESH_MS,
  });
}
