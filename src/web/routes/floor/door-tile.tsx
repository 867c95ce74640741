// One door at a glance: its state in words and colour (never colour alone), its mode and why; and
// the door actions — unlock, a timed override, ending an override — each confirmed with what will
// happen, then answered with what each controller did (applied, refused and why, not reachable).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, SelectField } from '../../components/common/fields.tsx';
import { type ActionStatus, usePerformAction } from '../../hooks/api/actions.ts';
import type { Door } from '../../hooks/api/doors.ts';

export type TileState = 'locked' | 'unlocked' | 'open' | 'forced' | 'held_open' | 'offline' | 'unknown';

export function tileState(door: Door, online: boolean | undefined): TileState {
  if (!door.controllerId) return 'unknown';
  if (!online) return 'offline';
  return door.mode === 'unlocked' ? 'unlocked' : 'locked';
}

export function DoorTile({ door, online }: { door: Door; online: boolean | undefined }) {
  const { t } = useTranslation();
  const state = tileState(door, online);
  const action = usePerformAction();
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
        {t('floor.mode')}: {t(`doorMode.${door.mode}`)} · {t('floor.modeWhy.base')}
      </p>
      {!door.controllerId && <p className="tile-note">{t('floor.noController')}</p>}
      {door.controllerId && (
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
      {action.data && <Outcome status={action.data} />}
    </article>
  );
}

/** What each controller did with the action, announced politely. */
function Outcome({ status }: { status: ActionStatus }) {
  const { t } = useTranslation();
  return (
    <div role="status" className="tile-outcome">
      {status.controllers.map((c) => (
        <p key={c.controllerId} className={`outcome-${c.outcome}`}>
          {t(`actions.did.${status.action}`, { defaultValue: status.action })}:{' '}
          {t(`actions.outcome.${c.outcome}`)} ({c.controllerId}){c.detail ? ` — ${c.detail}` : ''}
        </p>
      ))}
      {status.controllers.length === 0 && <p>{t('actions.noControllers')}</p>}
    </div>
  );
}
