// Canonical JSON: object keys sorted, no whitespace, so both ends sign and verify the same bytes.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function canonicalJson(value: Json): string {
  // Loops and string concatenation, not map/filter/join: both ends run this over every signed
  // message, and the server over a thousand a second (docs/latency.md).
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError('numbers in signed messages must be finite');
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return JSON.stringify(value); // what a caller outside the types passes, as JSON.stringify has it
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + canonicalJson(value[i]!);
    return `${text}]`;
  }
  const keys = Object.keys(value).sort();
  let text = '{';
  for (const key of keys) {
    const member = value[key];
    if (member === undefined) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/**
 * The text of `canonicalJson(value)` in pieces, never as one string: objects and arrays are opened
 * here, their members' text comes from canonicalJson one member at a time (a person of a snapshot,
 * say). For values too large for one string: a 2,000,000-person snapshot is more than the ~512 MiB
 * a JavaScript string may hold. Joined, the pieces are exactly canonicalJson(value).
 */
export function* canonicalParts(value: Json, depth = 3): Generator<string> {
  if (value === null || typeof value !== 'object' || depth === 0) {
    yield canonicalJson(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      yield* canonicalParts(value[i]!, depth - 1);
    }
    yield ']';
    return;
  }
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    yield `${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`;
    yield* canonicalParts(value[keys[i]!]!, depth - 1);
  }
  yield '}';
}
