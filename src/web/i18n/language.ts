// Which language the console starts in: the operator's stored choice, else the first of the
// browser's preferred languages that we have, else English.
export const LANGUAGES = ['ja', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export function preferredLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored === 'ja' || stored === 'en') return stored;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ja' || base === 'en') return base;
  }
  return 'en';
}
