// A new policy for a running site (a controller receives a fresh snapshot): the runtime state moves
// across, so anti-passback, counters, door phases and operator modes do not reset whenever an
// administrator edits something. People and areas are matched by id; what the new policy no longer
// has is dropped. Pure: old state in, new state out.

import type { Policy } from './policy.ts';
import {
  applyChanges,
  createState,
  type Pending,
  type SiteState,
  type StateChange,
  UNKNOWN_AREA,
} from './state.ts';

export function carryOverState(oldPolicy: Policy, old: SiteState, policy: Policy, now: number): SiteState {
  const state = createState(policy, now);
  const changes: StateChange[] = [];
  // A people delta applied in place keeps person numbers (people.ts): then numbers map directly and
  // only the people it moved need looking at; otherwise people are matched by id.
  const origin = policy.people.origin?.from === oldPolicy.people ? policy.people.origin : undefined;
  const presence = old.presence;
  for (let before = 0; before < presence.length; before++) {
    const areaIndex = presence[before]!;
    if (areaIndex === 0) continue; // outside: the initial state already
    const id = oldPolicy.people.id(before);
    const index = origin ? origin.remap(before) : policy.people.indexOf(id);
    if (index < 0) continue;
    const area = areaIndex === UNKNOWN_AREA ? undefined : oldPolicy.areaList[areaIndex];
    changes.push({
      op: 'move',
      person: id,
      index,
      to: area && policy.areas.has(area.id) ? area.id : null,
    });
  }
  // Occupancy and the priority-group counts follow from presence under the new policy's groups.
  applyChanges(state, policy, changes);
  for (const [key, at] of old.lastEntry) state.lastEntry.set(key, at);
  for (const [person, sides] of old.localSides)
    if (policy.people.has(person)) state.localSides.set(person, new Map(sides));
  for (const [credential, count] of old.uses) state.uses.set(credential, count);
  for (const [credential, at] of old.firstUse) state.firstUse.set(credential, at);
  for (const credential of old.revoked) state.revoked.add(credential);
  for (const [id, runtime] of old.doors) {
    const index = policy.doorList.findIndex((d) => d.id === id);
    if (index < 0) continue;
    const copy = { ...runtime };
    state.doors.set(id, copy);
    state.doorsByIndex[index] = copy;
  }
  // Presentations waiting for a partner or an escort, and the last escort per door, stay valid for
  // their window whatever the new policy changed, as long as their person and place still exist.
  const stillThere = (p: Pending) => policy.people.has(p.person) && policy.doors.has(p.door);
  for (const [area, p] of old.pendingPairs)
    if (policy.areas.get(area)?.twoPerson && stillThere(p)) state.pendingPairs.set(area, p);
  for (const [door, p] of old.pendingVisitors) if (stillThere(p)) state.pendingVisitors.set(door, p);
  for (const [door, p] of old.lastEscort) if (stillThere(p)) state.lastEscort.set(door, p);
  for (const [area, at] of old.lastReset) if (policy.areas.has(area)) state.lastReset.set(area, at);
  for (const zone of old.activeFireZones) state.activeFireZones.add(zone);
  state.lockdown = old.lockdown;
  state.threatLevel = old.threatLevel;
  state.clock = Math.max(old.clock, now);
  return state;
}
