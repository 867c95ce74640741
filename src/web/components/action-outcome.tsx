// What each controller did with an operator action (applied, refused and why, not reachable),
// announced politely. Shared by the door tiles and the site and area actions.
import { useTranslation } from 'react-i18next';
import type { ActionStatus } from '../hooks/api/actions.ts';

export function ActionOutcome({ status, className }: { status: ActionStatus; className?: string }) {
  const { t } = useTranslation();
  return (
    <div role="status" className={className ?? 'action-outcome'}>
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
