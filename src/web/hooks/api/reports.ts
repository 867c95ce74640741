// Reports (/api/reports/*): each page reads the JSON form, a page at a time where the API pages;
// the CSV download and the printable page are plain links to the same report (the server streams
// them and audits the read). A report is asked for only once its form is submitted (`enabled`),
// as each first page is an audited read.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { useLiveRefresh } from '../live.ts';
import { keysFor } from './keys.ts';

type Schemas = components['schemas'];
export type MusterReport = Schemas['MusterReport'];
export type MusterEntry = Schemas['MusterEntry'];
export type Completeness = Schemas['Completeness'];
export type AttendanceReport = Schemas['AttendanceReport'];
export type OccupancyReport = Schemas['OccupancyReport'];
export type ZoneAccessReport = Schemas['ZoneAccessReport'];
export type ZoneAccessItem = Schemas['ZoneAccessItem'];
export type IncidentReport = Schemas['IncidentReport'];
export type IncidentStay = Schemas['IncidentStay'];
export type InventoryReport = Schemas['InventoryReport'];
export type InventorySection = InventoryReport['section'];
export type AccessReviewReport = Schemas['AccessReviewReport'];
export type AccessReviewEntry = Schemas['AccessReviewEntry'];
export type AccessReviewChange = Schemas['AccessReviewChange'];
export type AccessReviewCheckpoint = Schemas['AccessReviewCheckpoint'];

type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? Omit<NonNullable<Q>, 'cursor'>
  : never;
export type EventExportQuery = Query<'/api/reports/events'>;
export type AttendanceQuery = Query<'/api/reports/attendance'>;
export type OccupancyQuery = Query<'/api/reports/occupancy'>;
export type ZoneAccessQuery = Query<'/api/reports/my-number/access'>;
export type IncidentQuery = Query<'/api/reports/incident'>;

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

/** A paged report: `next` of one page is the `cursor` of the next. */
function usePagedReport<T extends { next: string | null }>(
  report: string,
  query: object | undefined,
  fetch: (cursor: string | undefined) => Promise<T>,
) {
  return useInfiniteQuery({
    queryKey: reportKeys.list({ report, ...query }),
    enabled: query !== undefined,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => fetch(pageParam),
    getNextPageParam: (page) => page.next ?? undefined,
    staleTime: 60_000,
  });
}

const cursor = (c: string | undefined) => (c ? { cursor: c } : {});

export function useEventExport(query: EventExportQuery | undefined) {
  return usePagedReport('events', query, (c) =>
    unwrap(api.GET('/api/reports/events', { params: { query: { limit: 200, ...query, ...cursor(c) } } })),
  );
}

export function useAttendance(query: AttendanceQuery | undefined) {
  return usePagedReport('attendance', query, (c) =>
    unwrap(
      api.GET('/api/reports/attendance', {
        params: { query: { limit: 200, ...(query as AttendanceQuery), ...cursor(c) } },
      }),
    ),
  );
}

export function useOccupancyReport(query: OccupancyQuery | undefined) {
  return useQuery({
    queryKey: reportKeys.list({ report: 'occupancy', ...query }),
    enabled: query !== undefined,
    queryFn: () => unwrap(api.GET('/api/reports/occupancy', { params: { query: query as OccupancyQuery } })),
    staleTime: 60_000,
  });
}

export function useMyNumberZones() {
  return useQuery({
    queryKey: reportKeys.list({ report: 'my-number-zones' }),
    queryFn: async () => (await unwrap(api.GET('/api/reports/my-number/zones'))).items,
  });
}

export function useZoneAccess(query: ZoneAccessQuery | undefined) {
  return usePagedReport('zone-access', query, (c) =>
    unwrap(
      api.GET('/api/reports/my-number/access', {
        params: { query: { limit: 500, ...(query as ZoneAccessQuery), ...cursor(c) } },
      }),
    ),
  );
}

export function useIncident(query: IncidentQuery | undefined) {
  return usePagedReport('incident', query, (c) =>
    unwrap(
      api.GET('/api/reports/incident', {
        params: { query: { limit: 200, ...(query as IncidentQuery), ...cursor(c) } },
      }),
    ),
  );
}

export function useInventory(query: { section: InventorySection; days: number } | undefined) {
  return usePagedReport('inventory', query, (c) =>
    unwrap(
      api.GET('/api/reports/inventory/{section}', {
        params: {
          path: { section: query?.section ?? 'unused' },
          query: { days: query?.days ?? 90, limit: 200, ...cursor(c) },
        },
      }),
    ),
  );
}

export type ReviewSubject = { area: string } | { door: string };

export function useAccessReview(subject: ReviewSubject | undefined) {
  return usePagedReport('access-review', subject, (c) =>
    unwrap(
      api.GET('/api/reports/access-review', { params: { query: { limit: 500, ...subject, ...cursor(c) } } }),
    ),
  );
}

export function useAccessReviewCheckpoints(subject: ReviewSubject | undefined) {
  return useQuery({
    queryKey: reportKeys.list({ report: 'access-review-checkpoints', ...subject }),
    enabled: subject !== undefined,
    queryFn: async () =>
      (await unwrap(api.GET('/api/reports/access-review/checkpoints', { params: { query: subject ?? {} } })))
        .items,
  });
}

/** What changed since the latest checkpoint: asked only when there is one (else the API says 404). */
export function useAccessReviewChanges(subject: ReviewSubject | undefined, hasCheckpoint: boolean) {
  return useQuery({
    queryKey: reportKeys.list({ report: 'access-review-changes', ...subject }),
    enabled: subject !== undefined && hasCheckpoint,
    queryFn: () =>
      unwrap(api.GET('/api/reports/access-review/changes', { params: { query: subject ?? {} } })),
  });
}

export function useCreateCheckpoint() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ReviewSubject & { note?: string }) =>
      unwrap(api.POST('/api/reports/access-review/checkpoints', { body })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: reportKeys.list({ report: 'access-review-checkpoints' }) }),
        client.invalidateQueries({ queryKey: reportKeys.list({ report: 'access-review-changes' }) }),
      ]),
  });
}

/** The address of a report's CSV download with its filters, the encoding and the header language. */
export function csvHref(
  path: string,
  query: object,
  encoding: 'utf-8' | 'shift_jis',
  header: string,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  params.set('encoding', encoding);
  params.set('header', header);
  return `${path}?${params}`;
}

/** Which areas count as at work for attendance (empty: every area), as the server stores it. */
export function useAttendanceSettings() {
  return useQuery({
    queryKey: reportKeys.detail('attendance-settings'),
    queryFn: () => unwrap(api.GET('/api/reports/attendance/settings')),
  });
}

export function useSaveAttendanceSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (workAreas: string[]) =>
      unwrap(api.POST('/api/reports/attendance/settings', { body: { workAreas } })),
    onSuccess: (saved) => {
      client.setQueryData(reportKeys.detail('attendance-settings'), saved);
      return client.invalidateQueries({ queryKey: reportKeys.list({ report: 'attendance' }) });
    },
  });
}
