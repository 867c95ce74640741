// One door at a glance: its state in words and colour (never colour alone), its mode and why; and
// the door actions — unlock, a timed override, ending an override — each confirmed with what will
// happen, then answered with what each controller did (applied, refused and why, not reachable).
// State, mode and why come from the live door state (GET /api/live/doors), kept fresh by the push
// stream.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionOutcome } from '../../components/action-outcome.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { usePerformAction } from '../../hooks/api/actions.ts';
import type { Door } from '../../hooks/api/doors.ts';
import type { LiveDoor } from '../../hooks/api/live.ts';
import { useCan } from '../../hooks/api/session.ts';
import { useFormat } from '../../lib/format.ts';

export type TileState = 'locked' | 'unlocked' | 'open' | 'forced' | 'held_open' | 'offline' | 'unknown';

/** The live state when the server has one (its controller reported), else what the link knows. */
export function tileState(door: Door, online: boolean | undefined, live: LiveDoor | undefined): TileState {
  if (!door.controllerId) return 'unknown';
  if (live) return live.state;
  if (!online) return 'offline';
  return door.mode === 'unlocked' ? 'unlocked' : 'locked';
}

export function DoorTile({
  door,
  online,
  live,
}: {
  door: Door;
  online: boolean | undefined;
  live: LiveDoor | undefined;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const state = tileState(door, online, live);
  const mode = live?.mode ?? door.mode;
  const source = live?.source ?? 'base';
  const action = usePerformAction();
  const may = useCan()('operations:write');
  const [minutes, setMinutes] = useState('15');
  const [overrideMode, setOverrideMode] = useState<'unlocked' | 'locked'>('unlocked');
  const validMinutes = Number(minutes) > 0 && Number(minutes) <= 1440;
  return (
    <article className={`tile tile-${state}`} aria-labelledby={`door-${door.id}`}>
      <h3 id={`door-${door.id}`}>{door.name}</h3>
      <p className="tile-state">
        <span className="tile-dot" aria-hidden="true" />
        {t(`doorState.${state}`)}
      </p>
      <p className="tile-mode">
        {t('floor.mode')}: {t(`doorMode.${mode}`, { defaultValue: mode })} · {t(`floor.modeWhy.${source}`)}
        {source === 'override' && live?.overrideUntil && (
          <> · {t('floor.until', { when: format.time(live.overrideUntil) })}</>
        )}
      </p>
      {!door.controllerId && <p className="tile-note">{t('floor.noController')}</p>}
      {door.controllerId && may && (
        <div className="tile-actions">
          <ConfirmDialog
            trigger={t('actions.unlock')}
            title={t('actions.unlockTitle', { name: door.name })}
            confirmLabel={t('actions.unlock')}
            onConfirm={() => action.mutateAsync({ action: 'unlock-door', door: door.id })}
          >
            <p>{t('actions.unlockEffect', { seconds: door.strikeSeconds })}</p>
          </ConfirmDialog>
          <ConfirmDialog
            trigger={t('actions.override')}
            title={t('actions.overrideTitle', { name: door.name })}
            confirmLabel={t('actions.overrideConfirm')}
            onConfirm={() =>
              validMinutes &&
              action.mutateAsync({
                action: 'override-door',
                door: door.id,
                mode: overrideMode,
                minutes: Number(minutes),
              })
            }
          >
            <SelectField
              label={t('actions.overrideMode')}
              value={overrideMode}
              onChange={(v) => setOverrideMode(v as 'unlocked' | 'locked')}
              options={[
                { id: 'unlocked', label: t('doorMode.unlocked') },
                { id: 'locked', label: t('doorMode.locked') },
              ]}
            />
            <Field
              label={t('actions.minutes')}
              inputMode="numeric"
              value={minutes}
              onChange={setMinutes}
              {...(!validMinutes && { errorMessage: t('actions.minutesInvalid') })}
            />
            <p>
              {t('actions.overrideEffect', {
                mode: t(`doorMode.${overrideMode}`),
                minutes: validMinutes ? Number(minutes) : '—',
              })}
            </p>
          </ConfirmDialog>
          <ConfirmDialog
            trigger={t('actions.endOverride')}
            title={t('actions.endOverrideTitle', { name: door.name })}
            confirmLabel={t('actions.endOverride')}
            onConfirm={() => action.mutateAsync({ action: 'end-override', door: door.id })}
          >
            <p>{t('actions.endOverrideEffect', { mode: t(`doorMode.${door.mode}`) })}</p>
          </ConfirmDialog>
        </div>
      )}
      <ErrorNotice error={action.error} />
      {action.data && <ActionOutcome status={action.data} className="tile-outcome" />}
    </article>
  );
}
