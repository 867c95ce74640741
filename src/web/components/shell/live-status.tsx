// Whether the console is fed by the push stream ("Live") or polling while it reconnects — in words
// (not colour alone), announced politely when it changes.
import { useTranslation } from 'react-i18next';
import { useStreamState } from '../../hooks/live.ts';

export function LiveStatus() {
  const { t } = useTranslation();
  const state = useStreamState();
  return (
    <p className={`live-status live-status-${state}`} role="status" title={t(`live.${state}Help`)}>
      <span className="live-dot" aria-hidden="true" />
      {t(`live.${state}`)}
    </p>
  );
}
