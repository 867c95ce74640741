// An area's live count on the floor (how many are inside, of its maximum) and its two actions:
// reset (everyone's presence in it becomes unknown — after an evacuation, or when the count is known
// to be wrong) and changing its occupancy maximum. Each confirmed with what will happen.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionOutcome } from '../../components/action-outcome.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { usePerformAction } from '../../hooks/api/actions.ts';
import type { LiveOccupancy } from '../../hooks/api/live.ts';
import { useCan } from '../../hooks/api/session.ts';

export function AreaActions({
  area,
  name,
  live,
}: {
  area: string;
  name: string;
  live: LiveOccupancy | undefined;
}) {
  const { t } = useTranslation();
  const action = usePerformAction();
  const may = useCan()('operations:write');
  const [max, setMax] = useState('');
  const validMax = max === '' || (/^\d{1,7}$/.test(max) && Number(max) <= 1_000_000);
  return (
    <div className="area-actions">
      {live && (
        <p className="area-count">
          {live.maxOccupancy === null
            ? t('site.insideNow', { count: live.inside })
            : t('site.insideOfMax', { count: live.inside, max: live.maxOccupancy })}
        </p>
      )}
      {may && (
        <>
          <ConfirmDialog
            trigger={t('site.resetArea')}
            title={t('site.resetAreaTitle', { name })}
            confirmLabel={t('site.resetArea')}
            onConfirm={() => action.mutateAsync({ action: 'reset-area', area })}
          >
            <p>{t('site.resetAreaEffect', { name, count: live?.inside ?? 0 })}</p>
          </ConfirmDialog>
          <ConfirmDialog
            trigger={t('site.setMax')}
            title={t('site.setMaxTitle', { name })}
            confirmLabel={t('site.setMaxConfirm')}
            onConfirm={() =>
              validMax &&
              action.mutateAsync({
                action: 'set-occupancy-limit',
                area,
                maxOccupancy: max === '' ? null : Number(max),
              })
            }
          >
            <Field
              label={t('site.maxField')}
              description={t('site.maxHelp')}
              inputMode="numeric"
              value={max}
              onChange={setMax}
              {...(!validMax && { errorMessage: t('site.maxInvalid') })}
            />
            <p>
              {max === '' || !validMax
                ? t('site.setMaxNoneEffect', { name })
                : t('site.setMaxEffect', { name, count: Number(max) })}
            </p>
          </ConfirmDialog>
        </>
      )}
      <ErrorNotice error={action.error} />
      {action.data && <ActionOutcome status={action.data} />}
    </div>
  );
}
