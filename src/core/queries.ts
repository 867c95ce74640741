// Read-only views of a site's state: door lock status, occupancy, muster list.

import { effectiveMode, localMoment } from './door-mode.ts';
import { phaseHolds } from './interlock.ts';
import type { Policy } from './policy.ts';
import { doorRuntime, occupancyOf, peopleInside, type SiteState } from './state.ts';

/** Whether a door is unlocked now: free by mode (schedule, override, fire) or released / standing open. */
export function isDoorUnlocked(policy: Policy, state: SiteState, doorId: string, now: number): boolean {
  const door = policy.doors.get(doorId);
  if (door === undefined) throw new RangeError(`unknown door "${doorId}"`);
  const runtime = doorRuntime(state, doorId);
  if (phaseHolds(runtime.phase, runtime.releasedUntil, now)) return true;
  return effectiveMode(state, door, runtime, localMoment(policy, now), now, false).mode === 'unlocked';
}

/** Everyone inside any area of an active fire zone, sorted (the muster list). */
export function musterList(policy: Policy, state: SiteState): string[] {
  const people = new Set<string>();
  for (const zone of state.activeFireZones) {
    for (const area of policy.fireZoneAreas.get(zone) ?? [])
      for (const person of peopleInside(state, policy, area)) people.add(policy.peopleList[person]!.id);
  }
  return [...people].sort();
}

export function occupancy(policy: Policy, state: SiteState, areaId: string): number {
  const area = policy.areas.get(areaId);
  return area === undefined ? 0 : occupancyOf(state, area);
}
