// Doors (扉 / ゲート): each joins area `fromArea` to `toArea` (reader side `in` moves people into
// `toArea`), is driven by at most one controller, and has a mode and strike / held-open times.

import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { ResourceStore } from './resource.ts';

export const DOOR_MODES = ['card', 'card+pin', 'pin', 'unlocked', 'locked'] as const;
export type DoorMode = (typeof DOOR_MODES)[number];

/** The door rules of the core (core/model.ts DoorDef), as stored. */
export interface DoorRules {
  /** doors of one interlock group never stand open or released together (same controller) */
  interlock?: string | undefined;
  /** door-local anti-passback: in and out must alternate at this door */
  localAntipassback?: boolean | undefined;
  /** in an unlocked schedule, the door unlocks only after the first authorised person is in */
  firstPersonIn?: boolean | undefined;
  /** the door's mode follows these schedules (first match wins) */
  scheduledModes?: { schedule: string; mode: DoorMode }[] | undefined;
}

export interface DoorInput {
  id: string;
  name: string;
  fromArea: string;
  toArea: string;
  controllerId: string | null;
  mode: DoorMode;
  strikeSeconds: number;
  heldOpenSeconds: number;
  rules: DoorRules | null;
}

export class DoorStore extends ResourceStore<DoorInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'door',
      table: 'doors',
      toRow: (d) => ({
        name: d.name,
        from_area: d.fromArea,
        to_area: d.toArea,
        controller_id: d.controllerId,
        mode: d.mode,
        strike_seconds: d.strikeSeconds,
        held_open_seconds: d.heldOpenSeconds,
        rules: d.rules ? JSON.stringify(d.rules) : null,
      }),
      fromRow: (r) => ({
        name: r.name as string,
        fromArea: r.from_area as string,
        toArea: r.to_area as string,
        controllerId: r.controller_id as string | null,
        mode: r.mode as DoorMode,
        strikeSeconds: Number(r.strike_seconds),
        heldOpenSeconds: Number(r.held_open_seconds),
        rules: r.rules ? (JSON.parse(r.rules as string) as DoorRules) : null,
      }),
      links: [],
      refs: [
        { field: 'fromArea', refTable: 'areas', refResource: 'area' },
        { field: 'toArea', refTable: 'areas', refResource: 'area' },
        { field: 'controllerId', refTable: 'controllers', refResource: 'controller' },
      ],
      filters: { controllerId: 'controller_id', fromArea: 'from_area', toArea: 'to_area' },
      async check(db, door) {
        if (door.fromArea === door.toArea)
          throw new StorageError('invalid', 'door', 'a door joins two different areas', 'toArea');
        for (const [i, sm] of (door.rules?.scheduledModes ?? []).entries()) {
          const row = await db
            .selectFrom('schedules')
            .select('id')
            .where('id', '=', sm.schedule)
            .executeTakeFirst();
          if (!row)
            throw new StorageError(
              'invalid',
              'door',
              `no schedule ${sm.schedule}`,
              `rules.scheduledModes.${i}.schedule`,
            );
        }
      },
    });
  }

  /** The areas each door joins (doors not found are left out): what a passage through it means. */
  async geometry(ids: readonly string[]): Promise<Map<string, { fromArea: string; toArea: string }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('doors')
      .select(['id', 'from_area', 'to_area'])
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return new Map(
      rows.map((d) => [d.id as string, { fromArea: d.from_area as string, toArea: d.to_area as string }]),
    );
  }
}
