// The site `monban sim` builds at a chosen scale, as plain data: one site, one area per controller
// behind its doors, one access level per controller, and people spread over the controllers (each
// holds the level of a "home" controller and, every tenth person, of the next one too, so some
// people pass doors on two controllers). Deterministic: the same sizes give the same site, so a
// second run against the same server resumes instead of creating it again.

export interface SimSize {
  controllers: number;
  doorsPerController: number;
  people: number;
}

export const SIM_SITE = 'sim';

export interface SimPlan {
  size: SimSize;
  controllers: string[];
  /** door id → its controller */
  doors: { id: string; controllerId: string; area: string }[];
  areas: { id: string; controllerId: string }[];
  levels: { id: string; doors: string[] }[];
  /** a person's card identifier and levels are derived from its index (personAt) */
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function simPlan(size: SimSize): SimPlan {
  const cw = String(size.controllers).length;
  const controllers = Array.from({ length: size.controllers }, (_, i) => `sim-c${pad(i + 1, cw)}`);
  const areas = controllers.map((c) => ({ id: `${c}-area`, controllerId: c }));
  const doors = controllers.flatMap((c) =>
    Array.from({ length: size.doorsPerController }, (_, d) => ({
      id: `${c}-d${d + 1}`,
      controllerId: c,
      area: `${c}-area`,
    })),
  );
  const levels = controllers.map((c) => ({
    id: `${c}-level`,
    doors: doors.filter((d) => d.controllerId === c).map((d) => d.id),
  }));
  return { size, controllers, doors, areas, levels };
}

export interface SimPerson {
  id: string;
  name: string;
  card: string;
  /** index into plan.controllers of the controllers whose doors this person may pass */
  homes: number[];
}

/** The person at `index` (0-based). Every 97th person is suspended at the start to see denials. */
export function personAt(plan: SimPlan, index: number): SimPerson {
  const width = String(plan.size.people).length;
  const home = index % plan.controllers.length;
  const homes =
    index % 10 === 0 && plan.controllers.length > 1 ? [home, (home + 1) % plan.controllers.length] : [home];
  return {
    id: `sim-p${pad(index + 1, width)}`,
    name: `Sim person ${index + 1}`,
    card: `S-${pad(index + 1, width)}`,
    homes,
  };
}

/** Whether the person at `index` starts with a suspended card (the sim's expected denials). */
export function suspendedAt(index: number): boolean {
  return index % 97 === 96;
}
