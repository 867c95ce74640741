// Access levels (アクセスレベル): a set of doors × an optional schedule; without one, valid at all times.

import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export interface AccessLevelInput {
  id: string;
  name: string;
  scheduleId: string | null;
  doors: string[];
  /** the level grants nothing while the site threat level is above this; null: no limit */
  maxThreatLevel: number | null;
}

export class AccessLevelStore extends ResourceStore<AccessLevelInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'access_level',
      table: 'access_levels',
      toRow: (l) => ({ name: l.name, schedule_id: l.scheduleId, max_threat_level: l.maxThreatLevel }),
      fromRow: (r) => ({
        name: r.name as string,
        scheduleId: r.schedule_id as string | null,
        doors: [],
        maxThreatLevel: r.max_threat_level === null ? null : Number(r.max_threat_level),
      }),
      links: [
        {
          field: 'doors',
          table: 'access_level_doors',
          owner: 'level_id',
          target: 'door_id',
          refTable: 'doors',
          refResource: 'door',
        },
      ],
      refs: [{ field: 'scheduleId', refTable: 'schedules', refResource: 'schedule' }],
      filters: { scheduleId: 'schedule_id' },
    });
  }
}
