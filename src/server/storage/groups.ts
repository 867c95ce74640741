// Groups (department, role, team): people belong to groups, groups carry access levels (R-ACC-2).
// A group that still has members cannot be removed: take the people out first.

import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export interface GroupInput {
  id: string;
  name: string;
  description: string | null;
  levels: string[];
}

export class GroupStore extends ResourceStore<GroupInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'group',
      table: 'groups',
      toRow: (g) => ({ name: g.name, description: g.description }),
      fromRow: (r) => ({ name: r.name as string, description: r.description as string | null, levels: [] }),
      links: [
        {
          field: 'levels',
          table: 'group_levels',
          owner: 'group_id',
          target: 'level_id',
          refTable: 'access_levels',
          refResource: 'access_level',
        },
      ],
      refs: [],
    });
  }
}
