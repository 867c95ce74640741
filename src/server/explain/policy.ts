// The policy a door is decided by, for explaining decisions: the snapshot its controller gets
// (controllers/snapshot.ts, compiled by the core's compilePolicy exactly as the controller compiles
// it), plus everyone else in the database as people without levels. A controller is sent only the
// people who hold one of its levels; the others are added here so that "why not" for them is the
// core's answer too (a revoked card, a person who has left, or no level naming the door) rather
// than a guess. Nothing here decides: decide.ts of the core does, in decisions.ts.
//
// Credentials stay as the controller holds them, keyed hashes; the safe reference of each
// (`card:C-1001`, `pin#<credential id>`, never digits) is kept beside the policy for the answers.

import { credentialIdHash, siteCredentialKey } from '../../contracts/credential-key.ts';
import type { CredentialDef, CredentialState, PersonDef, SiteDef } from '../../core/model.ts';
import { compilePolicy, type Policy } from '../../core/policy.ts';
import { formatWall } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';
import { safeCredentialRef } from '../controllers/credential-refs.ts';
import { buildSnapshot, rowsWhereIn } from '../controllers/snapshot.ts';
import type { Executor } from '../storage/db.ts';

/** What the answers show of a person: their name, and what their scope is judged by. */
export interface PersonInfo {
  name: string;
  department: string | null;
  site: string | null;
}

export interface ExplainPolicy {
  controllerId: string | null;
  policy: Policy;
  /** policy credential key (`card:<hash>`, `pin:<hash>`) → safe reference */
  refs: Map<string, string>;
  /** every person in the database, by id, in id order */
  people: Map<string, PersonInfo>;
  /** people the controller's own snapshot holds (those who hold one of its levels) */
  insiders: ReadonlySet<string>;
  builtAt: number;
}

const localTime = (ms: number, zone: TimeZone) => formatWall(ms + zone.offsetAt(ms));

/**
 * A credential row as the snapshot sends it (controllers/snapshot.ts does the same for the people
 * it holds; test/server/explain/explain-policy.test.ts keeps the two equal).
 */
function credentialDef(
  c: {
    type: string;
    identifier: string;
    pin_hash: string | null;
    duress_pin_hash: string | null;
    valid_from: number | null;
    valid_until: number | null;
    max_uses: number | null;
    uses: number;
    state: string;
  },
  credentialKey: Uint8Array,
  zone: TimeZone,
): CredentialDef {
  return {
    type: c.type as CredentialDef['type'],
    id: c.type === 'pin' ? c.identifier : credentialIdHash(credentialKey, c.type, c.identifier),
    ...(c.pin_hash && c.type !== 'pin' && { pin: c.pin_hash }),
    ...(c.duress_pin_hash && { duressPin: c.duress_pin_hash }),
    ...(c.valid_from !== null && { validFrom: localTime(Number(c.valid_from), zone) }),
    ...(c.valid_until !== null && { validUntil: localTime(Number(c.valid_until), zone) }),
    ...(c.max_uses !== null && { maxUses: Math.max(0, Number(c.max_uses) - Number(c.uses)) }),
    state: c.state as CredentialState,
  };
}

/** Builds the explain policy of one controller (null: a door no controller drives, decided by none). */
export async function buildExplainPolicy(
  db: Executor,
  controllerId: string | null,
  installationKey: Uint8Array,
  options: {
    defaultSite?: string | undefined;
    now: number;
    /**
     * Only these people (the rule-change preview: those the change can touch), so the build costs
     * O(them) rather than O(site). Each keeps the decisions the whole policy gives them: what
     * decide() reads of a person in the explain state is their own (profiles.ts), and the doors,
     * areas, levels, schedules and rule groups are whole.
     */
    onlyPeople?: ReadonlySet<string> | undefined;
  },
): Promise<ExplainPolicy> {
  const credentialKey = siteCredentialKey(installationKey);
  const only = options.onlyPeople;
  const snapshot =
    controllerId === null
      ? undefined
      : await buildSnapshot(db, controllerId, credentialKey, {
          defaultSite: options.defaultSite,
          onlyPeople: only,
        });
  const site: SiteDef = snapshot?.site ?? {
    timezone: 'UTC',
    areas: [],
    doors: [],
    schedules: [],
    holidayCalendars: [],
    levels: [],
    groups: [],
    people: [],
  };
  const zone = new TimeZone(site.timezone);
  const insiders = new Set(site.people.map((p) => p.id));

  const rows = only
    ? (await rowsWhereIn(db, 'people', 'id', [...only])).sort((a, b) => (a.id < b.id ? -1 : 1))
    : await db
        .selectFrom('people')
        .select(['id', 'name', 'department', 'site', 'active', 'left_at'])
        .orderBy('id')
        .execute();
  const credentials = only
    ? (await rowsWhereIn(db, 'credentials', 'person_id', [...only])).filter((c) => c.identifier !== null)
    : await db
        .selectFrom('credentials')
        .select([
          'id',
          'person_id',
          'type',
          'identifier',
          'pin_hash',
          'duress_pin_hash',
          'valid_from',
          'valid_until',
          'max_uses',
          'uses',
          'state',
          'ref_hash',
        ])
        .where('identifier', 'is not', null)
        .execute();

  const refs = new Map<string, string>();
  const outsiderCredentials = new Map<string, CredentialDef[]>();
  for (const c of credentials) {
    const hash =
      c.type === 'pin'
        ? c.identifier!
        : (c.ref_hash ?? credentialIdHash(credentialKey, c.type, c.identifier!));
    refs.set(`${c.type}:${hash}`, safeCredentialRef(c));
    if (insiders.has(c.person_id)) continue;
    const def = credentialDef({ ...c, identifier: c.identifier! }, credentialKey, zone);
    const list = outsiderCredentials.get(c.person_id);
    if (list) list.push(def);
    else outsiderCredentials.set(c.person_id, [def]);
  }

  const people = new Map<string, PersonInfo>();
  const outsiders: PersonDef[] = [];
  for (const r of rows) {
    people.set(r.id, { name: r.name, department: r.department, site: r.site });
    if (insiders.has(r.id)) continue;
    outsiders.push({
      id: r.id,
      active: Number(r.active) === 1 && r.left_at === null,
      groups: [],
      levels: [],
      credentials: outsiderCredentials.get(r.id) ?? [],
    });
  }
  const policy = compilePolicy({ ...site, people: [...site.people, ...outsiders] });
  return { controllerId, policy, refs, people, insiders, builtAt: options.now };
}
