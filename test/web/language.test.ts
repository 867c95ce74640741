// Japanese by default when the browser prefers it; the operator's own choice wins.
import { describe, expect, it } from 'vitest';
import { preferredLanguage } from '../../src/web/i18n/language.ts';

describe('console language', () => {
  it('follows the browser: the first preferred language the console has', () => {
    expect(preferredLanguage(null, ['ja-JP', 'en-US'])).toBe('ja');
    expect(preferredLanguage(null, ['ja'])).toBe('ja');
    expect(preferredLanguage(null, ['fr-FR', 'ja', 'en'])).toBe('ja');
    expect(preferredLanguage(null, ['en-GB', 'ja'])).toBe('en');
    expect(preferredLanguage(null, ['de-DE'])).toBe('en');
    expect(preferredLanguage(null, [])).toBe('en');
  });
  it('a stored choice wins over the browser; anything else stored is ignored', () => {
    expect(preferredLanguage('en', ['ja-JP'])).toBe('en');
    expect(preferredLanguage('ja', ['en-US'])).toBe('ja');
    expect(preferredLanguage('xx', ['ja-JP'])).toBe('ja');
  });
});
