// Drives the real decision core through a scenario's timeline and checks each step's expectations.

import type { Decision } from '../core/decide.ts';
import { SiteEngine } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';
import { isDoorUnlocked, musterList, occupancy } from '../core/queries.ts';
import { whoIsInside } from '../core/state.ts';
import type { LoadedScenario, LoadedStep } from './load.ts';
import type { ScenarioExpect, ScenarioStep } from './schema.ts';

export interface StepOutcome {
  index: number;
  line: number;
  at: string;
  action: string;
  decision?: Decision;
  alarms: string[];
  /** why the step did not meet its expectations; empty when it did */
  mismatches: string[];
}

export interface ScenarioResult {
  file: string;
  ok: boolean;
  steps: StepOutcome[];
  /** the first step that did not meet its expectations */
  failed?: StepOutcome;
}

function describeAction(step: ScenarioStep): string {
  if (step.present) {
    const p = step.present;
    // A `pin:` credential is the PIN itself: never print its digits, nor a typed PIN.
    const credential = p.credential.startsWith('pin:') ? 'pin:****' : p.credential;
    return `present ${p.door} ${p.side} ${credential}${p.pin !== undefined ? ' +PIN' : ''}${p.biometric ? ' +biometric' : ''}`;
  }
  if (step.passage) return `passage ${step.passage.door} ×${step.passage.count}`;
  if (step.doorSensor) return `door ${step.doorSensor.door} ${step.doorSensor.open ? 'opened' : 'closed'}`;
  if (step.rex) return `request-to-exit ${step.rex.door}`;
  if (step.operator) return `operator ${step.operator.action}`;
  if (step.fire) return `fire ${step.fire.zone} ${step.fire.active ? 'active' : 'clear'}`;
  return 'check';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function act(
  engine: SiteEngine,
  step: ScenarioStep,
  now: number,
): { decision?: Decision; events: CoreEvent[] } {
  if (step.present) {
    const { door, side, credential, pin, biometric } = step.present;
    const decision = engine.present(
      {
        door,
        side,
        credential,
        ...(pin !== undefined && { pin }),
        ...(biometric !== undefined && { biometric }),
      },
      now,
    );
    return { decision, events: decision.events };
  }
  if (step.passage) return { events: engine.passage(step.passage.door, step.passage.count, now) };
  if (step.doorSensor) return { events: engine.doorSensor(step.doorSensor.door, step.doorSensor.open, now) };
  if (step.rex) return { events: engine.requestToExit(step.rex.door, now) };
  if (step.operator) return { events: engine.operator(step.operator, now) };
  if (step.fire) return { events: engine.fire(step.fire.zone, step.fire.active, now) };
  return { events: [] };
}

function check(
  engine: SiteEngine,
  expect: ScenarioExpect,
  decision: Decision | undefined,
  alarms: readonly string[],
  now: number,
): string[] {
  const problems: string[] = [];
  const { policy, state } = engine;
  if (decision) {
    if (expect.result !== undefined && decision.result !== expect.result)
      problems.push(`expected result ${expect.result}, got ${decision.result}`);
    if (expect.reason !== undefined && decision.reason !== expect.reason)
      problems.push(`expected reason ${expect.reason}, got ${decision.reason}`);
    if (expect.warning !== undefined && !decision.warnings.includes(expect.warning)) {
      problems.push(`expected warning ${expect.warning}, got [${decision.warnings.join(', ')}]`);
    }
    if (
      expect.warnings !== undefined &&
      !sameList([...expect.warnings].sort(), [...decision.warnings].sort())
    ) {
      problems.push(
        `expected warnings [${expect.warnings.join(', ')}], got [${decision.warnings.join(', ')}]`,
      );
    }
  }
  for (const alarm of [...(expect.alarm ? [expect.alarm] : []), ...(expect.alarms ?? [])]) {
    if (!alarms.includes(alarm)) problems.push(`expected alarm ${alarm}, raised [${alarms.join(', ')}]`);
  }
  if (expect.noAlarm && alarms.length > 0) problems.push(`expected no alarm, raised [${alarms.join(', ')}]`);
  for (const door of expect.doorsUnlocked ?? []) {
    if (!isDoorUnlocked(policy, state, door, now))
      problems.push(`expected door ${door} unlocked, it is locked`);
  }
  for (const door of expect.doorsLocked ?? []) {
    if (isDoorUnlocked(policy, state, door, now))
      problems.push(`expected door ${door} locked, it is unlocked`);
  }
  for (const [area, people] of Object.entries(expect.inside ?? {})) {
    const actual = whoIsInside(state, policy, area);
    if (!sameList([...people].sort(), actual))
      problems.push(
        `expected inside ${area}: [${[...people].sort().join(', ')}], actual [${actual.join(', ')}]`,
      );
  }
  for (const [area, n] of Object.entries(expect.occupancy ?? {})) {
    const actual = occupancy(policy, state, area);
    if (actual !== n) problems.push(`expected occupancy of ${area} ${n}, actual ${actual}`);
  }
  if (expect.muster !== undefined) {
    const actual = musterList(policy, state);
    if (!sameList([...expect.muster].sort(), actual))
      problems.push(
        `expected muster [${[...expect.muster].sort().join(', ')}], actual [${actual.join(', ')}]`,
      );
  }
  if (expect.uses) {
    const actual = state.uses.get(expect.uses.credential) ?? 0;
    if (actual !== expect.uses.count)
      problems.push(
        `expected ${expect.uses.count} use(s) of ${expect.uses.person}'s credential, actual ${actual}`,
      );
  }
  return problems;
}

function runStep(engine: SiteEngine, loaded: LoadedStep): StepOutcome {
  const { step, now } = loaded;
  const timerEvents = engine.advance(now);
  const { decision, events } = act(engine, step, now);
  const alarms = [...timerEvents, ...events].flatMap((e) => (e.type === 'alarm' ? [e.alarm] : []));
  const outcome: StepOutcome = {
    index: loaded.index,
    line: loaded.line,
    at: step.at,
    action: describeAction(step),
    alarms,
    mismatches: step.expect ? check(engine, step.expect, decision, alarms, now) : [],
  };
  if (decision) outcome.decision = decision;
  return outcome;
}

export function runScenario(loaded: LoadedScenario): ScenarioResult {
  const start = loaded.steps[0]?.now ?? 0;
  const engine = new SiteEngine(loaded.policy, start);
  const steps: StepOutcome[] = [];
  for (const loadedStep of loaded.steps) {
    const outcome = runStep(engine, loadedStep);
    steps.push(outcome);
    if (outcome.mismatches.length > 0) return { file: loaded.file, ok: false, steps, failed: outcome };
  }
  return { file: loaded.file, ok: true, steps };
}
