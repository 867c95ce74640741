// Issuing a time-limited key: for a person or a guest, to doors and/or areas, between two moments,
// on some weekdays within daily windows (site time), with at most N uses or valid for N hours from
// the first use. The answer carries the delivery link, shown once by the page. The same form changes
// an issued key (`existing`): its holder stays, and so does its QR code.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist, SelectField } from '../../components/common/fields.tsx';
import { localDefault, WindowFields } from '../../components/report-parts.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { useDoors } from '../../hooks/api/doors.ts';
import {
  type IssuedKey,
  type Key,
  useGuests,
  useIssueKey,
  useUpdateKey,
} from '../../hooks/api/keys-guests.ts';
import { fromLocalInput, toLocalInput, useFormat } from '../../lib/format.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const optionalCount = (v: string) => v.trim() === '' || /^\d{1,6}$/.test(v.trim());

export function KeyForm({
  onIssued,
  existing,
  onSaved,
}: {
  onIssued?: (issued: IssuedKey) => void;
  existing?: Key;
  onSaved?: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const guests = useGuests();
  const doors = useDoors();
  const areas = useAreas();
  const issue = useIssueKey();
  const update = useUpdateKey();
  const write = existing ? update : issue;
  const [holderKind, setHolderKind] = useState<'guest' | 'person'>(existing?.holder.kind ?? 'guest');
  const [guest, setGuest] = useState(existing?.holder.kind === 'guest' ? existing.holder.id : '');
  const [person, setPerson] = useState(existing?.holder.kind === 'person' ? existing.holder.id : '');
  const [chosenDoors, setDoors] = useState<string[]>(existing?.doors ?? []);
  const [chosenAreas, setAreas] = useState<string[]>(existing?.areas ?? []);
  const [from, setFrom] = useState(() =>
    existing ? toLocalInput(existing.validFrom, format.timeZone) : localDefault(format.timeZone, 0),
  );
  const [until, setUntil] = useState(() =>
    existing ? toLocalInput(existing.validUntil, format.timeZone) : localDefault(format.timeZone, -1),
  );
  const [weekdays, setWeekdays] = useState<string[]>(existing?.weekdays ?? []);
  const [windows, setWindows] = useState(existing?.windows.join(', ') ?? '');
  const [maxUses, setMaxUses] = useState(existing?.maxUses?.toString() ?? '');
  const [validFor, setValidFor] = useState(existing?.validForHours?.toString() ?? '');
  const [label, setLabel] = useState(existing?.label ?? '');
  const windowList = windows
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const windowsValid = windowList.every((w) => WINDOW.test(w));
  const chosenGuest = guest || guests.data?.[0]?.id || '';
  const holderOk = holderKind === 'guest' ? chosenGuest !== '' : person.trim() !== '';
  const valid =
    holderOk &&
    windowsValid &&
    optionalCount(maxUses) &&
    optionalCount(validFor) &&
    chosenDoors.length + chosenAreas.length > 0;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    const fields = {
      doors: chosenDoors,
      areas: chosenAreas,
      validFrom: fromLocalInput(from, format.timeZone),
      validUntil: fromLocalInput(until, format.timeZone),
      weekdays: weekdays as (typeof WEEKDAYS)[number][],
      windows: windowList,
      maxUses: maxUses.trim() ? Number(maxUses) : null,
      validForHours: validFor.trim() ? Number(validFor) : null,
      label: label.trim() || null,
    };
    if (existing) update.mutate({ id: existing.id, patch: fields }, { onSuccess: () => onSaved?.() });
    else
      issue.mutate(
        { holder: holderKind === 'guest' ? { guest: chosenGuest } : { person: person.trim() }, ...fields },
        { onSuccess: (issued) => onIssued?.(issued) },
      );
  };
  return (
    <Form onSubmit={submit} className="form">
      {existing ? (
        <p>{t('keys.holderIs', { holder: `${t(`keys.${existing.holder.kind}`)} ${existing.holder.id}` })}</p>
      ) : (
        <>
          <SelectField
            label={t('keys.holderKind')}
            value={holderKind}
            onChange={(v) => setHolderKind(v as 'guest' | 'person')}
            options={[
              { id: 'guest', label: t('keys.guest') },
              { id: 'person', label: t('keys.person') },
            ]}
          />
          {holderKind === 'guest' ? (
            <SelectField
              label={t('keys.guest')}
              value={chosenGuest}
              onChange={setGuest}
              description={guests.data?.length === 0 ? t('keys.noGuests') : undefined}
              options={(guests.data ?? []).map((g) => ({ id: g.id, label: `${g.name} (${g.id})` }))}
            />
          ) : (
            <Field label={t('reports.personId')} value={person} onChange={setPerson} isRequired />
          )}
        </>
      )}
      <Field label={t('keys.label')} value={label} onChange={setLabel} />
      <IdChecklist
        label={t('keys.doors')}
        options={(doors.data ?? []).map((d) => ({ id: d.id, label: d.name }))}
        value={chosenDoors}
        onChange={setDoors}
      />
      <IdChecklist
        label={t('keys.areas')}
        options={(areas.data ?? [])
          .filter((a) => a.id !== 'outside')
          .map((a) => ({ id: a.id, label: a.name }))}
        value={chosenAreas}
        onChange={setAreas}
      />
      {chosenDoors.length + chosenAreas.length === 0 && <p className="field-hint">{t('keys.whereHelp')}</p>}
      <WindowFields labels="keys" from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
      <IdChecklist
        label={t('keys.weekdays')}
        options={WEEKDAYS.map((d) => ({ id: d, label: t(`weekday.${d}`) }))}
        value={weekdays}
        onChange={setWeekdays}
      />
      <Field
        label={t('keys.windows')}
        description={t('keys.windowsHelp')}
        value={windows}
        onChange={setWindows}
        {...(!windowsValid && { errorMessage: t('keys.windowsInvalid') })}
      />
      <Field
        label={t('keys.maxUses')}
        description={t('keys.emptyNoLimit')}
        inputMode="numeric"
        value={maxUses}
        onChange={setMaxUses}
        {...(!optionalCount(maxUses) && { errorMessage: t('keys.countInvalid') })}
      />
      <Field
        label={t('keys.validForHours')}
        description={t('keys.validForHelp')}
        inputMode="numeric"
        value={validFor}
        onChange={setValidFor}
        {...(!optionalCount(validFor) && { errorMessage: t('keys.countInvalid') })}
      />
      <ErrorNotice error={write.error} />
      <Button type="submit" variant="primary" isDisabled={write.isPending || !valid}>
        {existing ? t('common.save') : t('keys.issue')}
      </Button>
    </Form>
  );
}
