// A large synthetic site with every rule in use, generated deterministically from a seed, for the
// decision benchmark: people → groups → levels → doors × schedules, with anti-passback, two-person,
// route, priority, escort, occupancy, interlock, fire zones, card+PIN doors, duress PINs, use counts.

import type {
  AreaDef,
  DoorDef,
  GroupDef,
  LevelDef,
  PersonDef,
  ScheduleDef,
  SiteDef,
} from '../src/core/model.ts';
import { seededRandom } from '../src/sim/random.ts';

export interface SiteSize {
  people: number;
  doors: number;
  levels: number;
  groups: number;
  areas: number;
}

export const BENCH_SIZE: SiteSize = {
  people: 100_000,
  doors: 1_000,
  levels: 5_000,
  groups: 1_000,
  areas: 200,
};

/** The simulator's deterministic PRNG: the same seed always gives the same site. */
export const rng = seededRandom;

export function generateSite(size: SiteSize, seed = 42): SiteDef {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const schedules: ScheduleDef[] = [
    {
      id: 'always-weekdays',
      weekly: {
        mon: ['00:00-24:00'],
        tue: ['00:00-24:00'],
        wed: ['00:00-24:00'],
        thu: ['00:00-24:00'],
        fri: ['00:00-24:00'],
      },
    },
  ];
  for (let i = 0; i < 19; i++) {
    const start = String(6 + (i % 4)).padStart(2, '0');
    const end = String(18 + (i % 5)).padStart(2, '0');
    const day = [`${start}:00-${end}:00`];
    schedules.push({
      id: `sched-${i}`,
      weekly: {
        mon: day,
        tue: day,
        wed: day,
        thu: day,
        fri: day,
        ...(i % 3 === 0 && { sat: ['09:00-13:00'] }),
      },
      holidays: ['2026-01-01', '2026-01-12', '2026-02-11', '2026-02-23'],
      calendars: ['jp-2026'],
    });
  }

  const groupIds = Array.from({ length: size.groups }, (_, i) => `group-${i}`);
  const areas: AreaDef[] = [];
  for (let i = 0; i < size.areas; i++) {
    const area: AreaDef = { id: `area-${i}`, fireZone: `zone-${i % 10}` };
    if (i >= 20) area.parent = `area-${i % 20}`;
    switch (i % 10) {
      case 1:
        area.antipassback = { mode: 'hard', reentryMinutes: 1 };
        break;
      case 2:
        area.antipassback = { mode: 'soft' };
        break;
      case 3:
        area.twoPerson = { withinSeconds: 30, enoughWhenInside: 2 };
        break;
      case 4:
        if (i >= 20) area.route = { requires: `area-${i % 20}` };
        break;
      case 5:
        area.priority = { group: pick(groupIds) };
        break;
      case 6:
        area.maxOccupancy = 500;
        break;
      case 7:
        area.escort = { visitorGroup: 'visitors', escortGroup: pick(groupIds), withinSeconds: 30 };
        break;
      default:
        break;
    }
    areas.push(area);
  }

  const doors: DoorDef[] = [];
  for (let i = 0; i < size.doors; i++) {
    const to = `area-${i % size.areas}`;
    const parent = areas[i % size.areas]!.parent ?? 'outside';
    const door: DoorDef = { id: `door-${i}`, from: parent, to };
    if (i % 7 === 0) door.mode = 'card+pin';
    if (i % 11 === 0) door.antipassback = 'local';
    if (i % 50 === 0) door.interlock = `mantrap-${Math.floor(i / 100)}`;
    if (i % 13 === 0) door.scheduledModes = [{ schedule: 'sched-3', mode: 'card+pin' }];
    doors.push(door);
  }

  const levels: LevelDef[] = [];
  for (let i = 0; i < size.levels; i++) {
    const doorIds = new Set<string>();
    const n = 5 + Math.floor(random() * 15);
    while (doorIds.size < n) doorIds.add(`door-${Math.floor(random() * size.doors)}`);
    levels.push({
      id: `level-${i}`,
      doors: [...doorIds],
      schedule: random() < 0.1 ? 'always-weekdays' : pick(schedules).id,
      ...(i % 17 === 0 && { maxThreatLevel: 2 }),
    });
  }
  const groups: GroupDef[] = groupIds.map((id) => ({
    id,
    levels: Array.from({ length: 5 }, () => `level-${Math.floor(random() * size.levels)}`),
  }));
  groups.push({ id: 'visitors', levels: [] });

  const people: PersonDef[] = [];
  for (let i = 0; i < size.people; i++) {
    people.push({
      id: `person-${i}`,
      groups: [pick(groupIds), pick(groupIds), ...(i % 97 === 0 ? ['visitors'] : [])],
      levels: [`level-${Math.floor(random() * size.levels)}`],
      ...(i % 500 === 0 && { active: false }),
      credentials: [
        {
          type: 'card',
          id: `C-${i}`,
          pin: String(1000 + (i % 9000)),
          ...(i % 31 === 0 && { duressPin: String(1000 + ((i + 1) % 9000)) }),
          ...(i % 211 === 0 && { state: 'lost' as const }),
          ...(i % 19 === 0 && { maxUses: 1_000_000 }),
          ...(i % 23 === 0 && { validUntil: '2027-03-31T00:00' }),
        },
      ],
    });
  }

  return {
    timezone: 'Asia/Tokyo',
    areas,
    doors,
    schedules,
    holidayCalendars: [
      { id: 'jp-2026', dates: ['2026-03-20', '2026-04-29', '2026-05-04', '2026-05-05', '2026-05-06'] },
    ],
    levels,
    groups,
    people,
  };
}

/** 64 hexadecimal digits, like the keyed hashes a server snapshot carries (contracts/credential-key.ts). */
function hex64(random: () => number): string {
  // Joined, not concatenated: a flat string like those JSON.parse returns.
  const parts: string[] = [];
  for (let i = 0; i < 8; i++)
    parts.push(
      Math.floor(random() * 4294967296)
        .toString(16)
        .padStart(8, '0'),
    );
  return parts.join('');
}

/**
 * Person `i` of a large site as a controller receives it in a snapshot (issue 11): credential ids
 * and PINs are 64-hex keyed hashes, not card numbers. Deterministic in `i` alone, so a benchmark can
 * generate people one chunk at a time and regenerate any of them later for its requests.
 */
export function snapshotPerson(i: number, size: SiteSize, seed = 42): PersonDef {
  const random = rng(Math.imul(i + 1, 0x9e3779b1) ^ seed);
  const group = () => `group-${Math.floor(random() * size.groups)}`;
  const credentials: PersonDef['credentials'] = [
    {
      type: 'card',
      id: hex64(random),
      pin: hex64(random),
      ...(i % 31 === 0 && { duressPin: hex64(random) }),
      ...(i % 211 === 0 && { state: 'lost' as const }),
      ...(i % 19 === 0 && { maxUses: 1_000_000 }),
      ...(i % 23 === 0 && { validUntil: '2027-03-31T00:00' }),
    },
  ];
  if (i % 10 === 0) credentials.push({ type: 'mobile', id: hex64(random) });
  return {
    id: `E${String(i).padStart(7, '0')}`,
    groups: [group(), group(), ...(i % 97 === 0 ? ['visitors'] : [])],
    levels: [`level-${Math.floor(random() * size.levels)}`],
    ...(i % 500 === 0 && { active: false }),
    credentials,
  };
}

/**
 * Person `i` shaped like those of generateSite (short card ids, four-digit PINs), but deterministic
 * in `i` alone like snapshotPerson: the shape the decision benchmark and the first capacity
 * measurements (issue 11) used.
 */
export function benchPerson(i: number, size: SiteSize, seed = 42): PersonDef {
  const random = rng(Math.imul(i + 1, 0x9e3779b1) ^ seed);
  const group = () => `group-${Math.floor(random() * size.groups)}`;
  return {
    id: `person-${i}`,
    groups: [group(), group(), ...(i % 97 === 0 ? ['visitors'] : [])],
    levels: [`level-${Math.floor(random() * size.levels)}`],
    ...(i % 500 === 0 && { active: false }),
    credentials: [
      {
        type: 'card',
        id: `C-${i}`,
        pin: String(1000 + (i % 9000)),
        ...(i % 31 === 0 && { duressPin: String(1000 + ((i + 1) % 9000)) }),
        ...(i % 211 === 0 && { state: 'lost' as const }),
        ...(i % 19 === 0 && { maxUses: 1_000_000 }),
        ...(i % 23 === 0 && { validUntil: '2027-03-31T00:00' }),
      },
    ],
  };
}
