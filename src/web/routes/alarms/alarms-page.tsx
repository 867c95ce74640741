// The alarm queue: active first, then acknowledged; each with its severity, source and age, and
// quick acknowledge. Works on a phone: the list collapses to cards.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Alarm, AlarmState } from '../../api/security-types.ts';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { SelectField } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useAlarmAction, useAlarms } from '../../hooks/api/alarms.ts';
import { useFormat } from '../../lib/format.ts';

const STATES: AlarmState[] = ['active', 'acknowledged', 'resolved'];

export function AlarmsPage() {
  const { t } = useTranslation();
  const [state, setState] = useState<AlarmState>('active');
  const alarms = useAlarms({ state, limit: 200 });
  const action = useAlarmAction();
  const format = useFormat();

  return (
    <Page title={t('alarms.title')}>
      <div className="toolbar">
        <SelectField
          label={t('alarms.show')}
          value={state}
          onChange={(v) => setState(v as AlarmState)}
          options={STATES.map((s) => ({ id: s, label: t(`alarmState.${s}`) }))}
        />
      </div>
      <ErrorNotice error={alarms.error ?? action.error} />
      {alarms.isPending ? (
        <Loading />
      ) : (alarms.data?.items.length ?? 0) === 0 ? (
        <p>{t('alarms.none')}</p>
      ) : (
        <ul className="alarm-list" aria-label={t('alarms.title')}>
          {alarms.data!.items.map((alarm: Alarm) => (
            <li key={alarm.id} className={`alarm-card severity-${alarm.severity}`}>
              <div className="alarm-main">
                <span className={`badge severity-badge-${alarm.severity}`}>
                  {t(`severity.${alarm.severity}`)}
                </span>
                <Link to={`/alarms/${encodeURIComponent(alarm.id)}`} className="alarm-title">
                  {t(`alarmType.${alarm.type}`, { defaultValue: alarm.type })}
                </Link>
                <span className="alarm-source">{alarm.source}</span>
              </div>
              <div className="alarm-meta">
                <time dateTime={new Date(alarm.raisedAt).toISOString()}>
                  {format.dateTime(alarm.raisedAt)}
                </time>
                {alarm.occurrences > 1 && (
                  <span> · {t('alarms.occurrences', { count: alarm.occurrences })}</span>
                )}
              </div>
              <p className="alarm-message">{alarm.message}</p>
              {alarm.state === 'active' && (
                <Button
                  variant="primary"
                  onPress={() => action.mutate({ id: alarm.id, action: 'acknowledge' })}
                  aria-label={t('alarms.acknowledgeOne', {
                    type: t(`alarmType.${alarm.type}`, { defaultValue: alarm.type }),
                    source: alarm.source,
                  })}
                >
                  {t('alarms.acknowledge')}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
