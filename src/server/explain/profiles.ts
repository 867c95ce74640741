// People who look the same to a decision get the same decision. In the explain state (nobody known
// to be anywhere, nothing pending, no use counted: decisions.ts) decide() reads of a person only
// whether they are active, their groups and levels, and of each credential its type, state,
// validity, remaining uses and whether it has a PIN — so those, in order, are the person's profile,
// and a site of 100,000 people has a few hundred profiles at most. Deciding once per profile keeps
// "who can pass" and the rule-change preview fast at that size (bench `--only explain`), while
// every answer is still decide()'s.

import type { Policy } from '../../core/policy.ts';

export interface Profiles {
  /** person number → profile number */
  of: Int32Array;
  /** profile number → a person number that has it */
  representative: number[];
}

export function profilesOf(policy: Policy): Profiles {
  const people = policy.people;
  const of = new Int32Array(people.length).fill(-1);
  const byKey = new Map<string, number>();
  const representative: number[] = [];
  for (const p of people.indices()) {
    let key = `${people.isActive(p) ? 1 : 0}|${people.groupIndices(p).join(',')}|${people.levelIndices(p).join(',')}`;
    for (const c of people.credentialIndices(p)) {
      const v = people.credential(c);
      key += `|${v.type}/${v.state}/${v.validFrom}/${v.validUntil}/${v.maxUses}/${v.pin === undefined ? 0 : 1}`;
    }
    let profile = byKey.get(key);
    if (profile === undefined) {
      profile = representative.length;
      byKey.set(key, profile);
      representative.push(p);
    }
    of[p] = profile;
  }
  return { of, representative };
}
