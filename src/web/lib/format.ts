// Dates and times as operators read them: in the site's time zone (not the browser's), in the
// console's language.
import { useTranslation } from 'react-i18next';
import { useSiteTimeZone } from '../hooks/api/site.ts';

export type Instant = number | string;

export function toDate(value: Instant): Date {
  return new Date(value);
}

export function formatDateTime(value: Instant, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(toDate(value));
}

export function formatTime(value: Instant, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(toDate(value));
}

/** `2026-04-01T09:00` in the zone, for <input type="datetime-local"> values. */
export function toLocalInput(value: Instant, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(toDate(value))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The zone's UTC offset at that instant, as +09:00. */
export function offsetAt(instant: Date, timeZone: string): string {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(instant)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return match ? `${match[1]}:${match[2] ?? '00'}` : '+00:00';
}

/** A local `2026-04-01T09:00` in the zone → ISO 8601 with that zone's offset, as the API wants. */
export function fromLocalInput(local: string, timeZone: string): string {
  const guess = new Date(`${local}:00Z`);
  const offset = offsetAt(guess, timeZone);
  const first = new Date(`${local}:00${offset}`);
  // Near a daylight-saving change the offset at the guessed instant may differ; settle once more.
  return `${local}:00${offsetAt(first, timeZone)}`;
}

export function useFormat() {
  const { i18n } = useTranslation();
  const timeZone = useSiteTimeZone();
  return {
    timeZone,
    dateTime: (value: Instant | null | undefined) =>
      value == null ? '—' : formatDateTime(value, i18n.language, timeZone),
    time: (value: Instant) => formatTime(value, i18n.language, timeZone),
  };
}
