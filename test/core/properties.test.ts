// Invariants of the decision core, checked on random sites and random event sequences (fast-check):
// - an unknown, revoked, inactive or expired credential is never granted;
// - hard anti-passback never lets anyone leave an area they did not enter;
// - two doors of one interlock group are never unlocked or open together by the system;
// - a two-person area never opens for one person unless `enoughWhenInside` holds;
// - the same inputs always give the same decision, and deciding changes nothing;
// - a timed override always ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import { effectiveMode, localMoment } from '../../src/core/door-mode.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import type { CredentialDef, SiteDef } from '../../src/core/model.ts';
import { compilePolicy } from '../../src/core/policy.ts';
import { type SiteState, whoIsInside } from '../../src/core/state.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T08:00');
const PEOPLE = ['p0', 'p1', 'p2', 'p3', 'p4'];
const DOORS = ['E', 'X', 'M1', 'M2', 'V', 'L'];

const credentialArb: fc.Arbitrary<CredentialDef> = fc.record({
  type: fc.constant('card' as const),
  state: fc.constantFrom('active', 'active', 'active', 'suspended', 'lost', 'revoked'),
  validUntil: fc.option(fc.constantFrom('2026-01-05T09:00', '2026-01-05T12:00', '2026-01-06T00:00'), {
    nil: undefined,
  }),
  validFrom: fc.option(fc.constantFrom('2026-01-05T08:30', '2026-01-05T10:00'), { nil: undefined }),
  maxUses: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

const siteArb: fc.Arbitrary<SiteDef> = fc
  .record({
    people: fc.tuple(
      ...PEOPLE.map(() =>
        fc.record({
          active: fc.constantFrom(true, true, true, true, true, false),
          credential: credentialArb,
          sup: fc.boolean(),
        }),
      ),
    ),
    apbMode: fc.constantFrom('hard' as const, 'soft' as const),
    enough: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    requireSup: fc.boolean(),
  })
  .map(({ people, apbMode, enough, requireSup }) =>
    site({
      areas: [
        { id: 'lab', antipassback: { mode: 'hard' } },
        { id: 'cell', parent: 'lab' },
        {
          id: 'vault',
          parent: 'lab',
          twoPerson: {
            withinSeconds: 20,
            ...(enough !== undefined && { enoughWhenInside: enough }),
            ...(requireSup && { requireGroup: 'sup' }),
          },
        },
        { id: 'lounge', antipassback: { mode: apbMode } },
      ],
      doors: [
        { id: 'E', from: 'outside', to: 'lab' },
        { id: 'X', from: 'lab', to: 'outside' },
        { id: 'M1', from: 'lab', to: 'cell', interlock: 'g', strikeSeconds: 5 },
        { id: 'M2', from: 'cell', to: 'lab', interlock: 'g', strikeSeconds: 5 },
        { id: 'V', from: 'lab', to: 'vault' },
        { id: 'L', from: 'outside', to: 'lounge' },
      ],
      groups: [{ id: 'sup' }],
      levels: [{ id: 'all', doors: DOORS }],
      people: people.map((p, i) => ({
        id: PEOPLE[i]!,
        active: p.active,
        levels: ['all'],
        groups: p.sup ? ['sup'] : [],
        credentials: [{ ...p.credential, id: `C${i}` }],
      })),
    }),
  );

type Step =
  | { kind: 'present'; person: number; door: string; side: 'in' | 'out'; unknown: boolean }
  | { kind: 'sensor'; door: string; open: boolean }
  | { kind: 'rex'; door: string }
  | { kind: 'wait'; seconds: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('present' as const),
      person: fc.integer({ min: 0, max: 4 }),
      door: fc.constantFrom(...DOORS),
      side: fc.constantFrom('in' as const, 'out' as const),
      unknown: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('sensor' as const),
      door: fc.constantFrom(...DOORS),
      open: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rex' as const), door: fc.constantFrom(...DOORS) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 900 }) }),
  },
);

function snapshot(state: SiteState): string {
  return JSON.stringify(state, (_k, v) =>
    v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v,
  );
}

/** Runs a random sequence, calling `check` after every presentation with what it needs. */
function simulate(
  def: SiteDef,
  steps: readonly Step[],
  check: (ctx: {
    engine: SiteEngine;
    now: number;
    step: Step;
    decision?: ReturnType<typeof decide>;
    insideBefore?: Map<string, number>;
  }) => void,
) {
  const engine = new SiteEngine(def, T0);
  let now = T0;
  for (const step of steps) {
    now += 1000;
    engine.advance(now);
    switch (step.kind) {
      case 'present': {
        const credential = step.unknown ? 'card:nobody' : `card:C${step.person}`;
        const insideBefore = new Map(
          [...engine.policy.areas.values()].map((a) => [a.id, engine.state.occupancy[a.index]!]),
        );
        const decision = engine.present({ door: step.door, side: step.side, credential }, now);
        check({ engine, now, step, decision, insideBefore });
        break;
      }
      case 'sensor':
        engine.doorSensor(step.door, step.open, now);
        check({ engine, now, step });
        break;
      case 'rex':
        engine.requestToExit(step.door, now);
        check({ engine, now, step });
        break;
      case 'wait':
        now += step.seconds * 1000;
        engine.advance(now);
        check({ engine, now, step });
        break;
    }
  }
}

describe('core invariants', () => {
  it('never grants an unknown, inactive, revoked or expired credential, nor an inactive person', () => {
    fc.assert(
      fc.property(siteArb, fc.array(stepArb, { maxLength: 60 }), (def, steps) => {
        simulate(def, steps, ({ engine, now, decision }) => {
          if (decision?.result !== 'grant') return;
          expect(decision.person).toBeDefined();
          const cred = [...engine.policy.credentials.values()].find((c) => c.personId === decision.person)!;
          expect(cred.state).toBe('active');
          expect(engine.policy.people.isActive(cred.personIndex)).toBe(true);
          expect(now >= cred.validFrom && now < cred.validUntil).toBe(true);
          expect(engine.state.uses.get(cred.key) ?? 0).toBeLessThanOrEqual(cred.maxUses);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('hard anti-passback never lets anyone leave an area they did not enter', () => {
    fc.assert(
      fc.property(siteArb, fc.array(stepArb, { maxLength: 60 }), (def, steps) => {
        const entered = new Set<string>(); // person area pairs entered through a grant and not left since
        simulate(def, steps, ({ engine, step, decision }) => {
          if (step.kind !== 'present' || decision?.result !== 'grant') return;
          const door = engine.policy.doors.get(step.door)!;
          for (const change of decision.changes) {
            if (change.op !== 'move') continue;
            for (const area of door.left[step.side]) {
              if (area.antipassback?.hard) expect(entered.has(`${change.person}/${area.id}`)).toBe(true);
              entered.delete(`${change.person}/${area.id}`);
            }
            for (const area of door.entered[step.side]) entered.add(`${change.person}/${area.id}`);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never has two doors of an interlock group unlocked or open through its own action', () => {
    fc.assert(
      fc.property(siteArb, fc.array(stepArb, { maxLength: 80 }), (def, steps) => {
        simulate(def, steps, ({ engine }) => {
          const phases = ['M1', 'M2'].map((d) => engine.state.doors.get(d)!.phase);
          // forced_open is a physical break-in, not something the system did.
          expect(phases.filter((p) => p === 'released' || p === 'open').length).toBeLessThanOrEqual(1);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('opens a two-person area for one person only while enoughWhenInside holds', () => {
    fc.assert(
      fc.property(siteArb, fc.array(stepArb, { maxLength: 60 }), (def, steps) => {
        const rule = def.areas.find((a) => a.id === 'vault')!.twoPerson!;
        simulate(def, steps, ({ step, decision, insideBefore }) => {
          if (
            step.kind !== 'present' ||
            step.door !== 'V' ||
            step.side !== 'in' ||
            decision?.result !== 'grant'
          )
            return;
          const movers = new Set(
            decision.changes.flatMap((c) => (c.op === 'move' && c.to === 'vault' ? [c.person] : [])),
          );
          const enough =
            rule.enoughWhenInside !== undefined && (insideBefore!.get('vault') ?? 0) >= rule.enoughWhenInside;
          expect(movers.size >= 2 || enough).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same decision for the same inputs and never mutates the state', () => {
    fc.assert(
      fc.property(
        siteArb,
        fc.array(stepArb, { maxLength: 40 }),
        fc.constantFrom(...DOORS),
        fc.integer({ min: 0, max: 4 }),
        (def, steps, door, person) => {
          let engine: SiteEngine | undefined;
          let now = T0;
          simulate(def, steps, (ctx) => {
            engine = ctx.engine;
            now = ctx.now;
          });
          engine ??= new SiteEngine(def, T0);
          const before = snapshot(engine.state);
          const request = { door, side: 'in' as const, credential: `card:C${person}` };
          const first = decide(engine.policy, engine.state, request, now + 1);
          const second = decide(engine.policy, engine.state, request, now + 1);
          expect(second).toEqual(first);
          expect(snapshot(engine.state)).toBe(before);
          // A policy compiled afresh from the same definition decides the same way.
          expect(decide(compilePolicy(def), engine.state, request, now + 1)).toEqual(first);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('always ends a timed override', () => {
    fc.assert(
      fc.property(
        siteArb,
        fc.constantFrom(...DOORS),
        fc.constantFrom('locked' as const, 'unlocked' as const),
        fc.integer({ min: 1, max: 24 * 60 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (def, door, mode, minutes, extraMs) => {
          const engine = new SiteEngine(def, T0);
          engine.operator({ action: 'override-door', door, mode, minutes }, T0);
          const later = T0 + minutes * 60_000 + extraMs;
          const compiled = engine.policy.doors.get(door)!;
          const runtime = engine.state.doors.get(door)!;
          // Even before any timer runs, the expired override no longer counts…
          expect(
            effectiveMode(engine.state, compiled, runtime, localMoment(engine.policy, later), later, false)
              .source,
          ).not.toBe('override');
          // …and advancing time removes it.
          engine.advance(later);
          expect(engine.state.doors.get(door)!.override).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps occupancy counts consistent with presence', () => {
    fc.assert(
      fc.property(siteArb, fc.array(stepArb, { maxLength: 60 }), (def, steps) => {
        simulate(def, steps, ({ engine }) => {
          for (const area of ['lab', 'cell', 'vault', 'lounge']) {
            const expected = PEOPLE.filter((p) => {
              const where = engine.state.presence[engine.policy.people.get(p)!.index]!;
              return where >= 0 && engine.policy.areaList[where]!.selfAndAncestors.includes(area);
            });
            expect(whoIsInside(engine.state, engine.policy, area)).toEqual(expected);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('decides the same after a policy reload that carries the state over (a new controller snapshot)', () => {
    fc.assert(
      fc.property(
        siteArb,
        fc.array(stepArb, { maxLength: 40 }),
        fc.array(stepArb, { maxLength: 40 }),
        (def, before, after) => {
          // One engine runs straight through; the other is rebuilt from the same site between the
          // two halves, carrying its state. Every later decision must be the same.
          const straight: unknown[] = [];
          simulate(def, [...before, ...after], ({ decision }) => {
            if (decision) straight.push([decision.result, decision.reason, decision.person]);
          });
          let engine = new SiteEngine(def, T0);
          let now = T0;
          const reloaded: unknown[] = [];
          const run = (steps: readonly Step[]) => {
            for (const step of steps) {
              now += 1000;
              engine.advance(now);
              if (step.kind === 'present') {
                const credential = step.unknown ? 'card:nobody' : `card:C${step.person}`;
                const d = engine.present({ door: step.door, side: step.side, credential }, now);
                reloaded.push([d.result, d.reason, d.person]);
              } else if (step.kind === 'sensor') engine.doorSensor(step.door, step.open, now);
              else if (step.kind === 'rex') engine.requestToExit(step.door, now);
              else {
                now += step.seconds * 1000;
                engine.advance(now);
              }
            }
          };
          run(before);
          engine = new SiteEngine(def, now, engine);
          run(after);
          expect(reloaded).toEqual(straight);
        },
      ),
      { numRuns: 200 },
    );
  });
});
