// Rules a controller enforces alone, refused at configuration time when no single controller could
// (issue 9 §3): an interlock group whose doors sit on different controllers — each controller sees
// only its own doors open or released — and an occupancy maximum whose boundary doors do — two
// controllers could each let the last person in. A write that would create such a rule is refused
// with a clear 400 naming the rule and the controllers; one that existed before the write (a site
// configured by an older version) does not block unrelated writes.

import { SiteTopology } from '../operations/topology.ts';
import { StorageError } from '../storage/errors.ts';
import type { Repositories } from '../storage/index.ts';
import { DEFAULT_SITE } from '../storage/sites.ts';
import type { SiteCheck } from './site.ts';

type Problem = ReturnType<SiteTopology['spanningRules']>[number];
const keyOf = (p: Problem) => `${p.kind}:${p.id}`;

async function problems(repos: Repositories): Promise<Problem[]> {
  return (await SiteTopology.load(repos.db, DEFAULT_SITE)).spanningRules();
}

export function enforceableRules(resource: 'area' | 'door'): SiteCheck<Set<string>> {
  return {
    before: async (repos) => new Set((await problems(repos)).map(keyOf)),
    after: async (repos, before) => {
      const found = (await problems(repos)).find((p) => !before.has(keyOf(p)));
      if (!found) return;
      const on = found.controllers.join(' and ');
      const message =
        found.kind === 'interlock'
          ? `interlock group ${found.id} would span controllers ${on}: each controller sees only its own doors, so none could hold the group; put its doors on one controller`
          : `the occupancy maximum of area ${found.id} would span controllers ${on}: the doors into and out of it must be on one controller, or two could each let the last person in`;
      const field =
        resource === 'door'
          ? found.kind === 'interlock'
            ? 'rules.interlock'
            : 'controllerId'
          : 'maxOccupancy';
      throw new StorageError('invalid', resource, message, field);
    },
  };
}
