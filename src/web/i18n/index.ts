// Translations with i18next: one JSON file per language (ja.json, en.json, the same keys; a test
// fails on a missing or extra key). Japanese when the browser prefers it (or the operator chose it),
// English otherwise; the choice is remembered in this browser.

import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import ja from './ja.json';

import { type Language, preferredLanguage } from './language.ts';

export { LANGUAGES, type Language } from './language.ts';

const STORAGE_KEY = 'monban.language';

function storedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {}
  void i18n.changeLanguage(language);
}

i18n.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: preferredLanguage(storedLanguage(), navigator.languages ?? [navigator.language]),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export { i18n };
