// Doors (扉 / ゲート): each joins area `fromArea` to `toArea` (reader side `in` moves people into
// `toArea`), is driven by at most one controller, and has a mode and strike / held-open times.

import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { ResourceStore } from './resource.ts';

export const DOOR_MODES = ['card', 'card+pin', 'pin', 'unlocked', 'locked'] as const;
export type DoorMode = (typeof DOOR_MODES)[number];

export interface DoorInput {
  id: string;
  name: string;
  fromArea: string;
  toArea: string;
  controllerId: string | null;
  mode: DoorMode;
  strikeSeconds: number;
  heldOpenSeconds: number;
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
      }),
      fromRow: (r) => ({
        name: r.name as string,
        fromArea: r.from_area as string,
        toArea: r.to_area as string,
        controllerId: r.controller_id as string | null,
        mode: r.mode as DoorMode,
        strikeSeconds: Number(r.strike_seconds),
        heldOpenSeconds: Number(r.held_open_seconds),
      }),
      links: [],
      refs: [
        { field: 'fromArea', refTable: 'areas', refResource: 'area' },
        { field: 'toArea', refTable: 'areas', refResource: 'area' },
        { field: 'controllerId', refTable: 'controllers', refResource: 'controller' },
      ],
      filters: { controllerId: 'controller_id', fromArea: 'from_area', toArea: 'to_area' },
      async check(_db, door) {
        if (door.fromArea === door.toArea)
          throw new StorageError('invalid', 'door', 'a door joins two different areas', 'toArea');
      },
    });
  }
}
