// Reads a controller configuration file: YAML → schema → the cross-checks a schema cannot make
// (references between sections, duplicate addresses and wires, ports that exist). Any problem stops
// the controller before it opens a port, with the file, the line, the field and the reason.

import { existsSync, readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import {
  type ControllerConfig,
  controllerConfigSchema,
  type InputSource,
  type OutputTarget,
} from './schema.ts';

type Path = readonly (string | number)[];

export function formatField(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** whether a path exists (serial devices); defaults to the file system */
  exists?: (path: string) => boolean;
}

/** Reads and checks a configuration file; throws ConfigError. */
export function loadControllerConfig(file: string, options: LoadOptions = {}): ControllerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      file,
      0,
      '',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseControllerConfig(text, file, options);
}

export function parseControllerConfig(
  text: string,
  file: string,
  options: LoadOptions = {},
): ControllerConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new ConfigError(
      file,
      lines.linePos(error.pos[0]).line,
      '',
      `not valid YAML: ${error.message.split('\n')[0]}`,
    );
  }
  const locate = (path: Path): number => {
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
      } else break;
    }
    return lines.linePos(offset).line;
  };
  const fail = (path: Path, reason: string): never => {
    throw new ConfigError(file, locate(path), formatField(path), reason);
  };

  const parsed = controllerConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    // A misspelt key also shows up as a missing one; naming the misspelling helps more.
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') fail([...path, issue.keys[0]!], 'unknown key');
    if (issue.code === 'invalid_type' && issue.input === undefined) fail(path, 'is required');
    fail(path, issue.message);
  }
  const config = parsed.data!;
  checkReferences(config, fail, options.exists ?? existsSync);
  return config;
}

function checkReferences(
  config: ControllerConfig,
  fail: (path: Path, reason: string) => never,
  exists: (path: string) => boolean,
): void {
  const unique = (section: 'buses' | 'readers' | 'modules' | 'doors' | 'inputs') => {
    const seen = new Map<string, number>();
    config[section].forEach((item, i) => {
      const first = seen.get(item.id);
      if (first !== undefined)
        fail([section, i, 'id'], `"${item.id}" is already used by ${section}[${first}]`);
      seen.set(item.id, i);
    });
    return seen;
  };
  const buses = unique('buses');
  const readers = unique('readers');
  const modules = unique('modules');
  const doors = unique('doors');
  unique('inputs');

  config.buses.forEach((bus, i) => {
    if (bus.serial !== undefined && !exists(bus.serial))
      fail(['buses', i, 'serial'], `${bus.serial} does not exist (is the RS-485 adapter plugged in?)`);
  });

  const addresses = new Map<string, number>();
  config.readers.forEach((reader, i) => {
    const at = ['readers', i] as const;
    if (!buses.has(reader.bus)) fail([...at, 'bus'], `unknown bus "${reader.bus}"`);
    if (!doors.has(reader.door)) fail([...at, 'door'], `unknown door "${reader.door}" (not in doors)`);
    const key = `${reader.bus}/${reader.address}`;
    const first = addresses.get(key);
    if (first !== undefined)
      fail(
        [...at, 'address'],
        `address ${reader.address} is already used by readers[${first}] on bus ${reader.bus}`,
      );
    addresses.set(key, i);
    if (reader.cards === 'transparent' && !config.cards)
      fail(
        [...at, 'cards'],
        'transparent card reads need the "cards" section (application id and system id)',
      );
    if (reader.install && reader.plaintext)
      fail([...at, 'install'], 'a plaintext reader has no Secure Channel key to install');
  });

  // Every physical input and output is wired to one thing only.
  const wires = new Map<string, string>();
  const claim = (wire: string, path: Path) => {
    const first = wires.get(wire);
    if (first !== undefined) fail(path, `${wire} is already used by ${first}`);
    wires.set(wire, formatField(path));
  };
  const checkInput = (source: InputSource, path: Path) => {
    if (source.module !== undefined) {
      const index = modules.get(source.module);
      if (index === undefined) return fail([...path, 'module'], `unknown module "${source.module}"`);
      const module = config.modules[index]!;
      if (source.input !== undefined && source.input >= module.inputs)
        fail(
          [...path, 'input'],
          `module ${module.id} reads inputs 0 … ${module.inputs - 1} (its "inputs" is ${module.inputs})`,
        );
      if (source.register !== undefined && source.register >= module.registers)
        fail(
          [...path, 'register'],
          `module ${module.id} reads registers 0 … ${module.registers - 1} (its "registers" is ${module.registers})`,
        );
      if (source.supervised !== undefined && source.supervised !== true) {
        const s = source.supervised;
        if (!(s.shortedBelow < s.activeFrom && s.activeFrom < s.cutFrom))
          fail([...path, 'supervised'], 'thresholds must rise: shortedBelow < activeFrom < cutFrom');
      }
      claim(
        source.input !== undefined
          ? `input ${source.input} of module ${source.module}`
          : `register ${source.register} of module ${source.module}`,
        path,
      );
    } else {
      if (!readers.has(source.reader!)) fail([...path, 'reader'], `unknown reader "${source.reader}"`);
      claim(`input ${source.input} of reader ${source.reader}`, path);
    }
  };
  const checkOutput = (target: OutputTarget, path: Path) => {
    if (target.module !== undefined) {
      if (!modules.has(target.module)) fail([...path, 'module'], `unknown module "${target.module}"`);
      claim(`relay ${target.coil} of module ${target.module}`, path);
    } else {
      if (!readers.has(target.reader!)) fail([...path, 'reader'], `unknown reader "${target.reader}"`);
      claim(`output ${target.output} of reader ${target.reader}`, path);
    }
  };
  config.doors.forEach((door, i) => {
    const at = ['doors', i] as const;
    if (door.lock) checkOutput(door.lock, [...at, 'lock']);
    if (door.contact) checkInput(door.contact, [...at, 'contact']);
    if (door.rex) checkInput(door.rex, [...at, 'rex']);
    if (door.counter) {
      const c = door.counter;
      const index = modules.get(c.module);
      if (index === undefined) fail([...at, 'counter', 'module'], `unknown module "${c.module}"`);
      const module = config.modules[index!]!;
      if (c.register !== undefined && c.register >= module.registers)
        fail(
          [...at, 'counter', 'register'],
          `module ${module.id} reads registers 0 … ${module.registers - 1}`,
        );
      if (c.input !== undefined && c.input >= module.inputs)
        fail([...at, 'counter', 'input'], `module ${module.id} reads inputs 0 … ${module.inputs - 1}`);
      claim(
        c.register !== undefined
          ? `register ${c.register} of module ${c.module}`
          : `input ${c.input} of module ${c.module}`,
        [...at, 'counter'],
      );
    }
    if (door.turnstile && !door.counter)
      fail([...at, 'turnstile'], 'a turnstile needs a counter: it relocks after each counted passage');
  });
  config.inputs.forEach((input, i) => checkInput(input.source, ['inputs', i, 'source']));
}
