// The console's translations are complete: Japanese and English have exactly the same keys (Japanese
// without the English singular forms, since it has none), every key the code asks for exists, and
// every word of the shared vocabulary (deny reasons, alarm types, door modes, error codes) has a
// translation. A console that can ship an untranslated string has no such test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DENY_REASONS } from '../../src/core/reasons.ts';
import { ALARM_TYPES } from '../../src/server/alarms/types.ts';
import { API_ERRORS } from '../../src/server/http/errors.ts';
import { CREDENTIAL_STATES, CREDENTIAL_TYPES } from '../../src/server/storage/credentials.ts';
import { DOOR_MODES } from '../../src/server/storage/doors.ts';
import { WEEKDAYS } from '../../src/server/storage/schedules.ts';
import en from '../../src/web/i18n/en.json' with { type: 'json' };
import ja from '../../src/web/i18n/ja.json' with { type: 'json' };

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const enKeys = flatten(en as Tree);
const jaKeys = flatten(ja as Tree);
/** A key as code asks for it: plural forms (_one, _other) are one key. */
const base = (key: string) => key.replace(/_(one|other)$/, '');
const has = (keys: Map<string, string>, key: string) => keys.has(key) || keys.has(`${key}_other`);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.gen.ts') ? [path] : [];
  });
}

describe('console translations', () => {
  it('Japanese and English have the same keys', () => {
    const missingInJa = [...enKeys.keys()].filter((k) => !k.endsWith('_one') && !jaKeys.has(k));
    const extraInJa = [...jaKeys.keys()].filter((k) => !enKeys.has(k));
    expect(missingInJa, 'keys in en.json but not in ja.json').toEqual([]);
    expect(extraInJa, 'keys in ja.json but not in en.json').toEqual([]);
  });

  it('plural keys have every form: English one and other, Japanese other only', () => {
    for (const key of enKeys.keys()) {
      if (key.endsWith('_one')) expect(enKeys.has(`${base(key)}_other`), key).toBe(true);
      if (key.endsWith('_other')) expect(enKeys.has(`${base(key)}_one`), key).toBe(true);
    }
    for (const key of jaKeys.keys())
      expect(key.endsWith('_one'), `ja.json has no singular: ${key}`).toBe(false);
  });

  it('no value is empty, and interpolations match between the languages', () => {
    for (const [key, value] of enKeys) {
      expect(value.trim(), `en ${key}`).not.toBe('');
      const other = jaKeys.get(key) ?? jaKeys.get(`${base(key)}_other`);
      if (other === undefined) continue;
      expect(other.trim(), `ja ${key}`).not.toBe('');
      const vars = (s: string) => [...s.matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
      if (!key.endsWith('_one')) expect(vars(other), `ja ${key}`).toEqual(vars(value));
    }
  });

  it('every key the console asks for exists', () => {
    const root = new URL('../../src/web/', import.meta.url).pathname;
    const asked = new Set<string>();
    for (const file of sources(root)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.+-]+)'/g)) asked.add(match[1]!);
    }
    expect(asked.size).toBeGreaterThan(50);
    const missing = [...asked].filter((key) => !has(enKeys, key));
    expect(missing, 'keys used in src/web without a translation').toEqual([]);
  });

  it('the shared vocabulary is translated: reasons, alarm types, door modes, error codes', () => {
    const wanted = [
      ...DENY_REASONS.map((r) => `reason.${r}`),
      'reason.granted',
      ...ALARM_TYPES.map((a) => `alarmType.${a}`),
      ...DOOR_MODES.map((m) => `doorMode.${m}`),
      ...Object.keys(API_ERRORS).map((c) => `errors.${c}`),
      ...CREDENTIAL_TYPES.map((c) => `credentialType.${c}`),
      ...CREDENTIAL_STATES.flatMap((c) => [
        `credentialState.${c}`,
        `credentials.to.${c}`,
        `credentials.effect.${c}`,
      ]),
      ...WEEKDAYS.map((d) => `weekday.${d}`),
      ...['secured', 'released', 'open', 'forced_open'].map((p) => `doorPhase.${p}`),
      ...['access', 'door', 'alarm', 'operator'].map((e) => `eventType.${e}`),
      ...['up', 'down'].map((l) => `controllers.link.${l}`),
      ...['locked', 'unlocked', 'open', 'forced', 'held_open', 'offline', 'unknown'].map(
        (s) => `doorState.${s}`,
      ),
      ...['admin', 'operator', 'auditor', 'maintainer'].map((r) => `roles.${r}`),
    ];
    expect(wanted.filter((key) => !has(enKeys, key))).toEqual([]);
    expect(wanted.filter((key) => !has(jaKeys, key))).toEqual([]);
  });
});
