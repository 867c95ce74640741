// Battery prediction for locks: a least-squares line through the recent (time, level) readings,
// extended to the level at which the lock stops working. Pure; readings in any order.

export interface BatteryReading {
  at: number;
  level: number;
}

const DAY = 86_400_000;

/** Days until `deadLevel` at the current rate of drain; Infinity when not draining or too few readings. */
export function predictDaysLeft(readings: readonly BatteryReading[], deadLevel = 0): number {
  if (readings.length < 2) return Number.POSITIVE_INFINITY;
  const n = readings.length;
  let sx = 0;
  let sy = 0;
  for (const r of readings) {
    sx += r.at;
    sy += r.level;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const r of readings) {
    sxy += (r.at - mx) * (r.level - my);
    sxx += (r.at - mx) ** 2;
  }
  if (sxx === 0) return Number.POSITIVE_INFINITY;
  const slope = sxy / sxx; // level per ms
  if (slope >= 0) return Number.POSITIVE_INFINITY;
  const last = readings.reduce((a, b) => (b.at > a.at ? b : a));
  const levelNow = my + slope * (last.at - mx);
  return Math.max(0, (levelNow - deadLevel) / -slope / DAY);
}
