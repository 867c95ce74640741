// Holiday presets: calendars filled from a maintained source instead of typed by hand. `jp` is the
// Japanese public holidays (国民の祝日, substitute holidays 振替休日 and citizens' holidays 国民の休日
// included) from @holiday-jp/holiday_jp, which follows the Cabinet Office's list; upgrading that
// package brings newly announced holidays. A calendar filled from a preset keeps the dates it was
// given besides (company holidays such as 年末年始), and records the preset and years it used.

import { createRequire } from 'node:module';

export interface PresetHoliday {
  /** YYYY-MM-DD */
  date: string;
  name: string;
}

export interface HolidayPreset {
  id: string;
  name: string;
  source: string;
  /** the years the source covers */
  from: number;
  until: number;
  holidays(from: number, until: number): PresetHoliday[];
}

interface HolidayJpEntry {
  date: string;
  name: string;
  name_en: string;
}

const require = createRequire(import.meta.url);
// The data module alone: a plain object keyed by date (the package's typings spell out every date).
let japan: readonly HolidayJpEntry[] | undefined;
function japaneseHolidays(): readonly HolidayJpEntry[] {
  japan ??= Object.values(require('@holiday-jp/holiday_jp/lib/holidays.js') as Record<string, HolidayJpEntry>)
    .slice()
    .sort((a, b) => a.date.localeCompare(b.date));
  return japan;
}
const japanVersion = (require('@holiday-jp/holiday_jp/package.json') as { version: string }).version;

function yearsOf(entries: readonly HolidayJpEntry[]): { from: number; until: number } {
  return { from: Number(entries[0]!.date.slice(0, 4)), until: Number(entries.at(-1)!.date.slice(0, 4)) };
}

export const HOLIDAY_PRESETS: readonly HolidayPreset[] = [
  {
    id: 'jp',
    name: '国民の祝日 (Japanese public holidays)',
    source: `@holiday-jp/holiday_jp ${japanVersion}`,
    ...yearsOf(japaneseHolidays()),
    holidays: (from, until) =>
      japaneseHolidays()
        .filter((h) => {
          const year = Number(h.date.slice(0, 4));
          return year >= from && year <= until;
        })
        .map((h) => ({ date: h.date, name: h.name })),
  },
];

export const HOLIDAY_PRESET_IDS = HOLIDAY_PRESETS.map((p) => p.id) as [string, ...string[]];

export function holidayPreset(id: string): HolidayPreset | undefined {
  return HOLIDAY_PRESETS.find((p) => p.id === id);
}
