// Reads a scenario file: YAML → schema → compiled policy → checked timeline. Every problem is reported
// as a ScenarioError naming the file, the line and the problem.

import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { compilePolicy, type Policy } from '../core/policy.ts';
import { formatPath, PolicyError, type PolicyPath } from '../core/policy-error.ts';
import { parseLocalDateTime } from '../core/time/civil.ts';
import { type ScenarioFile, type ScenarioStep, scenarioSchema } from './schema.ts';

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'ScenarioError';
  }
}

export interface LoadedStep {
  index: number;
  line: number;
  /** the step's instant (UTC ms) */
  now: number;
  step: ScenarioStep;
}

export interface LoadedScenario {
  file: string;
  scenario: ScenarioFile;
  policy: Policy;
  steps: LoadedStep[];
}

type Locate = (path: PolicyPath) => number;

function locator(doc: ReturnType<typeof parseDocument>, lines: LineCounter): Locate {
  return (path) => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!item) break;
        offset = (item as Node).range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return lines.linePos(offset).line;
  };
}

export function loadScenario(text: string, file: string): LoadedScenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = lines.linePos(error.pos[0]).line;
    throw new ScenarioError(file, line, `not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const locate = locator(doc, lines);
  const parsed = scenarioSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    // A misspelt key also shows up as a missing one; naming the misspelling helps more.
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    const keyPath = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!] : path;
    throw new ScenarioError(file, locate(keyPath), `${where}${message}`);
  }
  const scenario = parsed.data;

  let policy: Policy;
  try {
    policy = compilePolicy({ ...scenario, holidayCalendars: scenario.holidayCalendars });
  } catch (error) {
    if (error instanceof PolicyError) throw new ScenarioError(file, locate(error.path), error.message);
    throw error;
  }

  const steps: LoadedStep[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  scenario.timeline.forEach((step, index) => {
    const path = ['timeline', index];
    const fail = (sub: PolicyPath, problem: string): never => {
      throw new ScenarioError(
        file,
        locate([...path, ...sub]),
        `${formatPath([...path, ...sub])}: ${problem}`,
      );
    };
    const wall = parseLocalDateTime(step.at);
    if (wall === undefined) return fail(['at'], `"${step.at}" is not a real local date-time`);
    const now = policy.zone.toInstant(wall);
    if (now < previous)
      fail(['at'], `"${step.at}" is earlier than the step before it: time only moves forward`);
    previous = now;
    checkReferences(step, policy, fail);
    steps.push({ index, line: locate(path), now, step });
  });
  return { file, scenario, policy, steps };
}

function checkReferences(
  step: ScenarioStep,
  policy: Policy,
  fail: (path: PolicyPath, problem: string) => never,
): void {
  const door = (id: string, path: PolicyPath) => {
    if (!policy.doors.has(id)) fail(path, `unknown door "${id}"`);
  };
  const area = (id: string, path: PolicyPath) => {
    if (!policy.areas.has(id)) fail(path, `unknown area "${id}"`);
  };
  const person = (id: string, path: PolicyPath) => {
    if (!policy.people.has(id)) fail(path, `unknown person "${id}"`);
  };
  if (step.present) door(step.present.door, ['present', 'door']);
  if (step.passage) door(step.passage.door, ['passage', 'door']);
  if (step.doorSensor) door(step.doorSensor.door, ['doorSensor', 'door']);
  if (step.rex) door(step.rex.door, ['rex', 'door']);
  const op = step.operator;
  if (op) {
    if ('door' in op) door(op.door, ['operator', 'door']);
    if ('area' in op) area(op.area, ['operator', 'area']);
    if ('person' in op) person(op.person, ['operator', 'person']);
    if (op.action === 'set-lockdown') {
      (op.exempt ?? []).forEach((g, i) => {
        if (!policy.groups.has(g)) fail(['operator', 'exempt', i], `unknown group "${g}"`);
      });
    }
    if (op.action === 'revoke-credential') {
      const held = policy.credentials.get(op.credential);
      if (held?.personId !== op.person)
        fail(
          ['operator', 'credential'],
          `person "${op.person}" holds no credential ${op.credential.startsWith('pin:') ? 'with that PIN' : op.credential}`,
        );
    }
  }
  const e = step.expect;
  if (!e) return;
  (e.doorsUnlocked ?? []).forEach((d, i) => door(d, ['expect', 'doorsUnlocked', i]));
  (e.doorsLocked ?? []).forEach((d, i) => door(d, ['expect', 'doorsLocked', i]));
  for (const [a, people] of Object.entries(e.inside ?? {})) {
    area(a, ['expect', 'inside', a]);
    people.forEach((p, i) => person(p, ['expect', 'inside', a, i]));
  }
  for (const a of Object.keys(e.occupancy ?? {})) area(a, ['expect', 'occupancy', a]);
  (e.muster ?? []).forEach((p, i) => person(p, ['expect', 'muster', i]));
  if (e.uses) person(e.uses.person, ['expect', 'uses', 'person']);
}
