// What a battery lock keeps to decide alone (R-KEY-4): the credentials that may open its door, each
// with its validity, its use limit and the schedules under which a level grants it (none: always).
// A pure query over the compiled policy, off the decision path; the lock applies it while its hub
// and the controller are unreachable (src/controller/locks/).

import { C_BITS, C_PERSON, C_RUN, CRED_STRIDE } from './people.ts';
import type { Policy } from './policy.ts';
import type { CompiledSchedule } from './schedule.ts';

export interface LockEntry {
  /** the credential's lookup key (`key:<hash>`, `card:<hash>`) */
  credential: string;
  validFrom: number;
  validUntil: number;
  maxUses: number;
  /** any one active grants; undefined: some level grants it at all times */
  schedules: CompiledSchedule[] | undefined;
}

export function lockList(policy: Policy, doorId: string): LockEntry[] {
  const door = policy.doors.get(doorId);
  if (door === undefined) return [];
  const people = policy.people;
  const store = people.store;
  const word = door.index >>> 5;
  const mask = 1 << (door.index & 31);
  const entries: LockEntry[] = [];
  for (const view of people.credentials()) {
    if (view.state !== 'active' || view.type === 'pin') continue;
    const row = view.index * CRED_STRIDE;
    const bits = store.credRows[row + C_BITS]!;
    if (!people.store.personActive(store.credRows[row + C_PERSON]!)) continue;
    const start = store.credRows[row + C_RUN]!;
    const groupsEnd = start + ((bits >>> 8) & 0xfff);
    const end = groupsEnd + (bits >>> 20);
    const levels: number[] = [];
    for (let i = start; i < groupsEnd; i++) {
      const g = store.entries[i]!;
      for (let j = policy.groupLevelStart[g]!; j < policy.groupLevelStart[g + 1]!; j++)
        levels.push(policy.groupLevels[j]!);
    }
    for (let i = groupsEnd; i < end; i++) levels.push(store.entries[i]!);
    let always = false;
    const schedules: CompiledSchedule[] = [];
    for (const l of levels) {
      if ((policy.levelBits[l * policy.doorWords + word]! & mask) === 0) continue;
      const schedule = policy.levelList[l]!.schedule;
      if (schedule === undefined) always = true;
      else if (!schedules.includes(schedule)) schedules.push(schedule);
    }
    if (!always && schedules.length === 0) continue;
    entries.push({
      credential: view.key,
      validFrom: view.validFrom,
      validUntil: view.validUntil,
      maxUses: view.maxUses,
      schedules: always ? undefined : schedules,
    });
  }
  return entries;
}
