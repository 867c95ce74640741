// The site the console shows: its time zone, which every date and time on screen is given in. The
// API has no site resource yet (DESIGN.md R-ACC-3 sets Asia/Tokyo as the default); when it lands,
// this reads it and nothing else changes.
export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';

export function useSiteTimeZone(): string {
  return DEFAULT_TIME_ZONE;
}
