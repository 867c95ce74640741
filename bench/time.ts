import { parseLocalDateTime } from '../src/core/time/civil.ts';
import { TimeZone } from '../src/core/time/zone.ts';

const tokyo = new TimeZone('Asia/Tokyo');

/** A Tokyo local time → instant (ms). */
export function at(local: string): number {
  const wall = parseLocalDateTime(local);
  if (wall === undefined) throw new Error(`bad local time ${local}`);
  return tokyo.toInstant(wall);
}
