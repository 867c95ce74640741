// The layer rules of DESIGN.md §5 as a check that can fail: each top-level folder of src/ names the
// folders it may import from, and whether it may import packages. Dependencies point inward: the
// core imports nothing at all, osdp and cards nothing of Monban, contracts only the core's types,
// and the server and the controller never import each other — they meet only in contracts.
// Run by `npm run lint`; test/architecture.test.ts shows a forbidden import fails it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Layer =
  | 'core'
  | 'contracts'
  | 'osdp'
  | 'cards'
  | 'scenario'
  | 'controller'
  | 'server'
  | 'sim'
  | 'cli'
  | 'web';

interface Rule {
  /** Layers this one may import from (itself always). */
  readonly may: readonly Layer[];
  /** Whether npm packages and Node built-ins may be imported. */
  readonly packages: boolean;
  /** Whether imports from the layers in `may` must be `import type` only. */
  readonly typesOnlyFrom?: readonly Layer[];
}

export const LAYER_RULES: Readonly<Record<Layer, Rule>> = {
  core: { may: [], packages: false },
  contracts: { may: ['core'], packages: true, typesOnlyFrom: ['core'] },
  osdp: { may: [], packages: true },
  cards: { may: [], packages: true },
  scenario: { may: ['core'], packages: true },
  controller: { may: ['core', 'contracts', 'osdp', 'cards'], packages: true },
  server: { may: ['core', 'contracts'], packages: true },
  sim: { may: ['core', 'contracts', 'osdp', 'cards', 'controller', 'scenario'], packages: true },
  cli: {
    may: ['core', 'contracts', 'osdp', 'cards', 'scenario', 'controller', 'server', 'sim'],
    packages: true,
  },
  // The console talks to the server only over HTTP; its API types are generated into src/web/api.
  web: { may: [], packages: true },
};

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly why: string;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The imports of one source file: specifier and whether it is type-only. */
export function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found = [...text.matchAll(IMPORT)].map((m) => ({ specifier: m[3]!, typeOnly: m[2] !== undefined }));
  for (const m of text.matchAll(DYNAMIC)) found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

function layerOf(srcRoot: string, path: string): Layer | undefined {
  const rel = relative(srcRoot, path);
  if (rel.startsWith('..')) return undefined;
  const top = rel.split(sep)[0] as Layer;
  return top in LAYER_RULES ? top : undefined;
}

/** Violations of one file at `file` (absolute) with the given text. */
export function checkFile(srcRoot: string, file: string, text: string): Violation[] {
  const own = layerOf(srcRoot, file);
  if (own === undefined) return [];
  const rule = LAYER_RULES[own];
  const out: Violation[] = [];
  for (const { specifier, typeOnly } of importsOf(text)) {
    const name = relative(srcRoot, file);
    if (!specifier.startsWith('.')) {
      if (!rule.packages) out.push({ file: name, specifier, why: `${own} imports no package at all` });
      continue;
    }
    const target = layerOf(srcRoot, resolve(dirname(file), specifier));
    if (target === undefined || target === own) continue;
    if (!rule.may.includes(target)) {
      out.push({ file: name, specifier, why: `${own} may not import ${target}` });
    } else if (rule.typesOnlyFrom?.includes(target) && !typeOnly) {
      out.push({ file: name, specifier, why: `${own} imports only types from ${target} (use import type)` });
    }
  }
  return out;
}

/** Every TypeScript source below `dir` (absolute paths; generated files left out). */
export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.gen.ts') ? [path] : [];
  });
}

/** Every violation under `srcRoot` (the project's src/). */
export function checkLayers(srcRoot: string): Violation[] {
  return sources(srcRoot).flatMap((file) => checkFile(srcRoot, file, readFileSync(file, 'utf8')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const srcRoot = fileURLToPath(new URL('../src/', import.meta.url));
  const violations = checkLayers(srcRoot);
  for (const v of violations) console.error(`src/${v.file}: imports '${v.specifier}': ${v.why}`);
  if (violations.length > 0) {
    console.error(`${violations.length} layer violation(s) (DESIGN.md §5, scripts/check-layers.ts)`);
    process.exit(1);
  }
  console.log('layers: ok');
}
