// Text as the database keeps it. A JavaScript string may hold lone UTF-16 surrogates (`"\ud800"` in
// JSON) and NUL characters; SQLite stores the first as U+FFFD and PostgreSQL refuses the second, so
// a value hashed as given and stored as changed no longer matches its hash. Everything that is hashed
// and stored goes through `storableText` first, and the boundary refuses ill-formed text outright.

/** A lone surrogate: in a `u` regular expression, paired surrogates are one code point and do not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const LONE_SURROGATES = /[\uD800-\uDFFF]/gu;
/** Any surrogate or NUL (not `u`: each half of a pair matches): text that may need `storableText`'s work. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what it looks for
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** The exact text the database will hold: lone surrogates and NUL become U+FFFD. */
export function storableText(value: string): string {
  // Most text holds neither (one scan, no copy); paired surrogates take the exact path below.
  if (!MAYBE_UNSTORABLE.test(value)) return value;
  return value.replace(LONE_SURROGATES, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/** Bidirectional formatting characters (Trojan Source, `invoice\u202Etxt.exe`): never in a name. */
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
