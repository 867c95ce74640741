// The SCIM filters identity providers send (RFC 7644 §3.4.2.2): `attribute eq "value"`, joined by
// `and`, where the attribute may be a value filter on a multi-valued one (`members[value eq "…"]`, as
// Entra ID checks a membership). That is what Entra ID and Okta use to find a user or group before
// creating it; anything else is refused with `invalidFilter` rather than half understood.

import { ScimError } from './errors.ts';

export interface Condition {
  /** lower-cased attribute path without the core schema URN: `username`, `members.value` */
  path: string;
  value: string | boolean | number | null;
}

const invalid = (why: string) => new ScimError(400, `filter: ${why}`, 'invalidFilter');

const CORE = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;
const ATTR = /^[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$/;

class Lexer {
  private i = 0;
  constructor(private readonly text: string) {}

  private skip(): void {
    while (this.text[this.i] === ' ') this.i++;
  }

  done(): boolean {
    this.skip();
    return this.i >= this.text.length;
  }

  peekChar(): string | undefined {
    this.skip();
    return this.text[this.i];
  }

  char(expected: string): void {
    this.skip();
    if (this.text[this.i] !== expected) throw invalid(`expected '${expected}' at ${this.i + 1}`);
    this.i++;
  }

  /** An attribute path, an operator or a keyword: everything up to a space, '[', ']' or '"'. */
  word(): string {
    this.skip();
    const start = this.i;
    while (this.i < this.text.length && !' []"()'.includes(this.text[this.i]!)) this.i++;
    if (this.i === start) throw invalid(`expected a word at ${start + 1}`);
    return this.text.slice(start, this.i);
  }

  value(): Condition['value'] {
    this.skip();
    if (this.text[this.i] === '"') {
      // A JSON string: its escapes are JSON's.
      let j = this.i + 1;
      while (j < this.text.length && this.text[j] !== '"') j += this.text[j] === '\\' ? 2 : 1;
      if (j >= this.text.length) throw invalid('unterminated string');
      const literal = this.text.slice(this.i, j + 1);
      this.i = j + 1;
      try {
        return JSON.parse(literal) as string;
      } catch {
        throw invalid('bad string escape');
      }
    }
    const word = this.word();
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    throw invalid('a value must be a quoted string, a number, true, false or null');
  }
}

function attributePath(raw: string): string {
  const path = raw.replace(CORE, '');
  if (!ATTR.test(path)) throw invalid('unsupported attribute path');
  return path.toLowerCase();
}

function comparison(lexer: Lexer, prefix: string): Condition {
  const raw = lexer.word();
  if (lexer.peekChar() === '[') {
    if (prefix !== '') throw invalid('nested value filters are not supported');
    lexer.char('[');
    const inner = comparison(lexer, `${attributePath(raw)}.`);
    lexer.char(']');
    return inner;
  }
  const path = prefix + attributePath(raw);
  const op = lexer.word().toLowerCase();
  if (op !== 'eq') throw invalid(`operator '${op.slice(0, 8)}' is not supported (only eq)`);
  return { path, value: lexer.value() };
}

/** Parses a filter into the conditions that must all hold. */
export function parseFilter(text: string): Condition[] {
  if (text.length > 1000) throw new ScimError(400, 'filter: longer than 1000 characters', 'invalidFilter');
  const lexer = new Lexer(text);
  const conditions = [comparison(lexer, '')];
  while (!lexer.done()) {
    const joiner = lexer.word().toLowerCase();
    if (joiner !== 'and') throw invalid(`'${joiner.slice(0, 8)}' is not supported (only and)`);
    conditions.push(comparison(lexer, ''));
  }
  return conditions;
}
