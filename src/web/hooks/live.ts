// How fresh live data stays. The server's push stream (operations stream) will invalidate these
// queries the moment something changes; until it is there, live queries poll at this interval.
export const LIVE_REFRESH_MS = 3_000;
