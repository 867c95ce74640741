// Controllers (制御装置): the registry of edge devices. Enrollment (keys, certificates) comes later;
// a controller that still has doors cannot be removed.

import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export interface ControllerInput {
  id: string;
  name: string;
  site: string | null;
  description: string | null;
}

export class ControllerStore extends ResourceStore<ControllerInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'controller',
      table: 'controllers',
      toRow: (c) => ({ name: c.name, site: c.site, description: c.description }),
      fromRow: (r) => ({
        name: r.name as string,
        site: r.site as string | null,
        description: r.description as string | null,
      }),
      links: [],
      refs: [],
      filters: { site: 'site' },
    });
  }
}
