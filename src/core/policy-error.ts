export type PolicyPath = readonly (string | number)[];

export function formatPath(path: PolicyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A site definition that cannot be compiled; `path` names the offending field (e.g. `doors[2].from`). */
export class PolicyError extends Error {
  readonly path: PolicyPath;
  readonly problem: string;
  constructor(path: PolicyPath, problem: string) {
    super(`${formatPath(path)}: ${problem}`);
    this.name = 'PolicyError';
    this.path = path;
    this.problem = problem;
  }
}
