// A site's policy and state together, for callers that drive one site step by step (scenario runner,
// controller, benchmark). It applies the changes the pure functions return; time is always passed in.

import { carryOverState } from './carry-over.ts';
import { type AccessRequest, type Decision, decide } from './decide.ts';
import type { CoreEvent } from './events.ts';
import { OUTSIDE, type SiteDef } from './model.ts';
import { fireInput, type OperatorAction, operatorAction } from './operator.ts';
import { compilePolicy, type Policy } from './policy.ts';
import { applyChanges, createState, type SiteState, type StateChange } from './state.ts';
import { advanceTime, doorSensor, type Outcome, passage, requestToExit } from './supervision.ts';

export class SiteEngine {
  readonly policy: Policy;
  readonly state: SiteState;
  /**
   * Told every change applied to the state, right after it is applied and before the method
   * returns: a controller journals them so that its runtime state survives a restart.
   */
  onChanges: ((changes: readonly StateChange[]) => void) | undefined;

  /** `previous`: a running engine whose state carries over to the new policy (core/carry-over.ts). */
  constructor(site: SiteDef | Policy, now: number, previous?: SiteEngine) {
    this.policy = 'zone' in site ? site : compilePolicy(site);
    this.state = previous
      ? carryOverState(previous.policy, previous.state, this.policy, now)
      : createState(this.policy, now);
  }

  private apply(outcome: Outcome): CoreEvent[] {
    this.applyAll(outcome.changes);
    return outcome.events;
  }

  /** Applies changes to the state (and tells `onChanges`). */
  applyAll(changes: readonly StateChange[]): void {
    applyChanges(this.state, this.policy, changes);
    if (changes.length > 0) this.onChanges?.(changes);
  }

  /** Runs timers due by `now`; returns what they raised. */
  advance(now: number): CoreEvent[] {
    return this.apply(advanceTime(this.policy, this.state, now));
  }

  present(request: AccessRequest, now: number): Decision {
    const decision = decide(this.policy, this.state, request, now);
    this.applyAll(decision.changes);
    return decision;
  }

  doorSensor(door: string, open: boolean, now: number): CoreEvent[] {
    return this.apply(doorSensor(this.policy, this.state, door, open, now));
  }

  requestToExit(door: string, now: number): CoreEvent[] {
    return this.apply(requestToExit(this.policy, this.state, door, now));
  }

  passage(door: string, count: number, now: number): CoreEvent[] {
    return this.apply(passage(this.policy, this.state, door, count, now));
  }

  operator(action: OperatorAction, now: number): CoreEvent[] {
    return this.apply(operatorAction(this.policy, this.state, action, now));
  }

  /**
   * Someone passed a door of another controller (rules that span controllers): they are now in
   * `area` (null or an area this site does not have: unknown here). No decision, no events.
   */
  movePerson(personId: string, area: string | null, now: number): void {
    const person = this.policy.people.indexOf(personId);
    if (person < 0) return;
    const to = area !== null && this.policy.areas.has(area) ? area : null;
    const changes: StateChange[] = [{ op: 'move', person: personId, index: person, to }];
    if (to !== null && to !== OUTSIDE) changes.push({ op: 'entered', person: personId, area: to, at: now });
    this.applyAll(changes);
  }

  fire(zone: string, active: boolean, now: number): CoreEvent[] {
    return this.apply(fireInput(this.policy, zone, active, now));
  }
}
