// Reservations (booking / PMS): a guest in a space from a start to an end, with a key that follows
// the reservation's dates and space. List with filters (state, space, guest, overlapping a window),
// book one (its key's link and QR code shown once), cancel one (the key is revoked at once).
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { EditPanel } from '../../components/common/edit-panel.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { IssuedLink } from '../../components/issued-link.tsx';
import { LoadMore, localDefault } from '../../components/report-parts.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import {
  type Reservation,
  type ReservationCreated,
  type ReservationQuery,
  useCancelReservation,
  useCreateReservation,
  useGuests,
  useReservations,
  useUpdateReservation,
} from '../../hooks/api/keys-guests.ts';
import { fromLocalInput, toLocalInput, useFormat } from '../../lib/format.ts';

export function ReservationsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const guests = useGuests();
  const [state, setState] = useState('booked');
  const [space, setSpace] = useState('');
  const [guest, setGuest] = useState('');
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  const query: ReservationQuery = {
    ...(state && { state: state as NonNullable<ReservationQuery['state']> }),
    ...(space && { space }),
    ...(guest && { guest }),
    // Overlapping the days chosen, in the site's zone (to: the end of that day).
    ...(fromDay && { from: fromLocalInput(`${fromDay}T00:00`, format.timeZone) }),
    ...(toDay && { to: fromLocalInput(`${toDay}T23:59`, format.timeZone) }),
  };
  const reservations = useReservations(query);
  const cancel = useCancelReservation();
  const [booking, setBooking] = useState(false);
  const [changing, setChanging] = useState<Reservation>();
  const [created, setCreated] = useState<ReservationCreated>();
  const areaName = new Map((areas.data ?? []).map((a) => [a.id, a.name]));
  const guestName = new Map((guests.data ?? []).map((g) => [g.id, g.name]));
  const rows = reservations.data?.pages.flatMap((p) => p.items) ?? [];
  const columns: Column<Reservation>[] = [
    {
      key: 'id',
      header: t('common.id'),
      cell: (r) => `${r.id}${r.externalRef ? ` (${r.externalRef})` : ''}`,
    },
    {
      key: 'guest',
      header: t('keys.guest'),
      cell: (r) => `${guestName.get(r.guestId) ?? ''} (${r.guestId})`,
    },
    { key: 'space', header: t('reservations.space'), cell: (r) => areaName.get(r.spaceId) ?? r.spaceId },
    {
      key: 'when',
      header: t('keys.when'),
      cell: (r) => `${format.dateTime(r.startsAt)} – ${format.dateTime(r.endsAt)}`,
    },
    { key: 'state', header: t('keys.state'), cell: (r) => t(`reservations.stateOf.${r.state}`) },
    { key: 'key', header: t('reservations.key'), cell: (r) => r.keyId ?? '—' },
    {
      key: 'actions',
      header: t('common.actions'),
      cell: (r) =>
        r.state === 'booked' ? (
          <div className="row">
            <Button onPress={() => setChanging(r)} aria-label={t('common.editNamed', { name: r.id })}>
              {t('common.edit')}
            </Button>
            <ConfirmDialog
              trigger={t('reservations.cancel')}
              title={t('reservations.cancelTitle', { id: r.id })}
              confirmLabel={t('reservations.cancel')}
              variant="danger"
              onConfirm={() => cancel.mutateAsync(r.id)}
            >
              <p>{t('reservations.cancelEffect')}</p>
            </ConfirmDialog>
          </div>
        ) : null,
    },
  ];
  const spaceOptions = (areas.data ?? [])
    .filter((a) => a.id !== 'outside')
    .map((a) => ({ id: a.id, label: a.name }));
  return (
    <Page
      write="credentials:write"
      title={t('nav.reservations')}
      actions={
        <Button variant="primary" onPress={() => setBooking(true)}>
          {t('reservations.new')}
        </Button>
      }
    >
      {created && <IssuedLink issued={created} onDismiss={() => setCreated(undefined)} />}
      {booking && (
        <EditPanel title={t('reservations.new')} onClose={() => setBooking(false)}>
          <ReservationForm
            onCreated={(answer) => {
              setBooking(false);
              setCreated(answer);
            }}
          />
        </EditPanel>
      )}
      {changing && (
        <EditPanel
          title={t('reservations.changeOf', { id: changing.id })}
          onClose={() => setChanging(undefined)}
        >
          <ReservationChange key={changing.id} reservation={changing} onDone={() => setChanging(undefined)} />
        </EditPanel>
      )}
      <search className="toolbar">
        <SelectField
          label={t('keys.state')}
          value={state}
          onChange={setState}
          options={[
            { id: '', label: t('keys.anyState') },
            ...(['booked', 'cancelled', 'ended'] as const).map((s) => ({
              id: s,
              label: t(`reservations.stateOf.${s}`),
            })),
          ]}
        />
        <SelectField
          label={t('reservations.space')}
          value={space}
          onChange={setSpace}
          options={[{ id: '', label: t('reservations.anySpace') }, ...spaceOptions]}
        />
        <SelectField
          label={t('keys.guest')}
          value={guest}
          onChange={setGuest}
          options={[
            { id: '', label: t('reservations.anyGuest') },
            ...(guests.data ?? []).map((g) => ({ id: g.id, label: g.name })),
          ]}
        />
        <Field label={t('reservations.fromDay')} type="date" value={fromDay} onChange={setFromDay} />
        <Field label={t('reservations.toDay')} type="date" value={toDay} onChange={setToDay} />
      </search>
      <ErrorNotice error={reservations.error ?? cancel.error} />
      {reservations.isPending ? (
        <Loading />
      ) : (
        <DataTable
          caption={t('nav.reservations')}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          empty={t('reservations.none')}
        />
      )}
      <LoadMore {...reservations} />
    </Page>
  );
}

function ReservationForm({ onCreated }: { onCreated: (answer: ReservationCreated) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const guests = useGuests();
  const create = useCreateReservation();
  const [guestId, setGuestId] = useState('');
  const [name, setName] = useState('');
  const [company, setCompany] = useState('');
  const [host, setHost] = useState('');
  const [space, setSpace] = useState('');
  const [starts, setStarts] = useState(() => localDefault(format.timeZone, -1).replace('T00:00', 'T09:00'));
  const [ends, setEnds] = useState(() => localDefault(format.timeZone, -1).replace('T00:00', 'T12:00'));
  const [externalRef, setExternalRef] = useState('');
  const spaceOptions = (areas.data ?? [])
    .filter((a) => a.id !== 'outside')
    .map((a) => ({ id: a.id, label: a.name }));
  const chosenSpace = space || spaceOptions[0]?.id || '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        spaceId: chosenSpace,
        guest: guestId
          ? { id: guestId }
          : { name: name.trim(), company: company.trim() || null, hostPersonId: host.trim() || null },
        startsAt: fromLocalInput(starts, format.timeZone),
        endsAt: fromLocalInput(ends, format.timeZone),
        externalRef: externalRef.trim() || null,
      },
      { onSuccess: onCreated },
    );
  };
  return (
    <Form onSubmit={submit} className="form">
      <SelectField
        label={t('keys.guest')}
        value={guestId}
        onChange={setGuestId}
        options={[
          { id: '', label: t('reservations.newGuest') },
          ...(guests.data ?? []).map((g) => ({ id: g.id, label: `${g.name} (${g.id})` })),
        ]}
      />
      {guestId === '' && (
        <>
          <Field label={t('reservations.guestName')} value={name} onChange={setName} isRequired />
          <Field label={t('guests.company')} value={company} onChange={setCompany} />
          <Field
            label={t('guests.host')}
            description={t('guests.hostHelp')}
            value={host}
            onChange={setHost}
          />
        </>
      )}
      <BookingFields
        space={[chosenSpace, setSpace]}
        starts={[starts, setStarts]}
        ends={[ends, setEnds]}
        externalRef={[externalRef, setExternalRef]}
      />
      <ErrorNotice error={create.error} />
      <Button type="submit" variant="primary" isDisabled={create.isPending}>
        {t('reservations.book')}
      </Button>
    </Form>
  );
}

/** Moving a booking: another space, other times, another reference; the guest stays. */
function ReservationChange({ reservation, onDone }: { reservation: Reservation; onDone: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const update = useUpdateReservation();
  const [space, setSpace] = useState(reservation.spaceId);
  const [starts, setStarts] = useState(() => toLocalInput(reservation.startsAt, format.timeZone));
  const [ends, setEnds] = useState(() => toLocalInput(reservation.endsAt, format.timeZone));
  const [externalRef, setExternalRef] = useState(reservation.externalRef ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      {
        id: reservation.id,
        patch: {
          spaceId: space,
          startsAt: fromLocalInput(starts, format.timeZone),
          endsAt: fromLocalInput(ends, format.timeZone),
          externalRef: externalRef.trim() || null,
        },
      },
      { onSuccess: onDone },
    );
  };
  return (
    <Form onSubmit={submit} className="form">
      <p>{t('reservations.guestStays', { guest: reservation.guestId })}</p>
      <BookingFields
        space={[space, setSpace]}
        starts={[starts, setStarts]}
        ends={[ends, setEnds]}
        externalRef={[externalRef, setExternalRef]}
      />
      <ErrorNotice error={update.error} />
      <Button type="submit" variant="primary" isDisabled={update.isPending}>
        {t('common.save')}
      </Button>
    </Form>
  );
}

type Value = [string, (value: string) => void];

/** What a booking is — a space, from when to when (site time), a reference — for booking and changing alike. */
function BookingFields({
  space,
  starts,
  ends,
  externalRef,
}: {
  space: Value;
  starts: Value;
  ends: Value;
  externalRef: Value;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const areas = useAreas();
  const spaceOptions = (areas.data ?? [])
    .filter((a) => a.id !== 'outside')
    .map((a) => ({ id: a.id, label: a.name }));
  return (
    <>
      <SelectField
        label={t('reservations.space')}
        value={space[0]}
        onChange={space[1]}
        options={spaceOptions}
      />
      <Field
        label={t('reservations.starts', { zone: format.timeZone })}
        type="datetime-local"
        value={starts[0]}
        onChange={starts[1]}
      />
      <Field
        label={t('reservations.ends', { zone: format.timeZone })}
        type="datetime-local"
        value={ends[0]}
        onChange={ends[1]}
      />
      <Field label={t('reservations.externalRef')} value={externalRef[0]} onChange={externalRef[1]} />
    </>
  );
}
