// The site the console shows: its time zone, which every date and time on screen is given in. Read
// from the sites API: the default site (`main`, where controllers without a site belong) or else the
// first one the operator may see; Asia/Tokyo (DESIGN.md R-ACC-3) only until that answer is in.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';
import { useSession } from './session.ts';

export type Site = components['schemas']['Site'];

export const FALLBACK_TIME_ZONE = 'Asia/Tokyo';
const DEFAULT_SITE = 'main';

export const siteKeys = keysFor('sites');

export function useSites() {
  // Asked only once signed in: before that the answer is 401, which would read as a session ended.
  const session = useSession().data;
  const signedIn = session?.kind === 'operator' && session.stage === 'full';
  return useQuery({
    queryKey: siteKeys.lists(),
    enabled: signedIn,
    queryFn: async () => (await unwrap(api.GET('/api/sites', { params: { query: { limit: 1000 } } }))).items,
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** The site whose zone the console shows times in. */
export function useHomeSite(): Site | undefined {
  const sites = useSites().data ?? [];
  return sites.find((s) => s.id === DEFAULT_SITE) ?? sites[0];
}

export function useSiteTimeZone(): string {
  return useHomeSite()?.timezone ?? FALLBACK_TIME_ZONE;
}
