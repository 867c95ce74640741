// One alarm: what happened, who acknowledged or resolved it and when, the comments (incident
// notes), and acknowledge / resolve with a comment.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useAlarm, useAlarmAction, useAlarmComment } from '../../hooks/api/alarms.ts';
import { useFormat } from '../../lib/format.ts';

export function AlarmDetailPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const alarm = useAlarm(id);
  const action = useAlarmAction();
  const comment = useAlarmComment();
  const format = useFormat();
  const [text, setText] = useState('');

  if (alarm.isPending)
    return (
      <Page title={t('alarms.title')}>
        <Loading />
      </Page>
    );
  if (!alarm.data)
    return (
      <Page title={t('alarms.title')}>
        <ErrorNotice error={alarm.error} />
      </Page>
    );
  const a = alarm.data;
  const typeName = t(`alarmType.${a.type}`, { defaultValue: a.type });

  const act = (kind: 'acknowledge' | 'resolve') =>
    action.mutate(
      { id: a.id, action: kind, ...(text.trim() && { comment: text.trim() }) },
      { onSuccess: () => setText('') },
    );
  const addComment = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) comment.mutate({ id: a.id, text: text.trim() }, { onSuccess: () => setText('') });
  };

  return (
    <Page title={`${typeName} — ${a.source}`} actions={<Link to="/alarms">{t('alarms.back')}</Link>}>
      <dl className="facts">
        <dt>{t('alarms.state')}</dt>
        <dd>{t(`alarmState.${a.state}`)}</dd>
        <dt>{t('alarms.severity')}</dt>
        <dd>{t(`severity.${a.severity}`)}</dd>
        <dt>{t('alarms.raised')}</dt>
        <dd>{format.dateTime(a.raisedAt)}</dd>
        <dt>{t('alarms.message')}</dt>
        <dd>{a.message}</dd>
        {a.acknowledgedAt != null && (
          <>
            <dt>{t('alarms.acknowledgedBy')}</dt>
            <dd>
              {a.acknowledgedBy} · {format.dateTime(a.acknowledgedAt)}
            </dd>
          </>
        )}
        {a.resolvedAt != null && (
          <>
            <dt>{t('alarms.resolvedBy')}</dt>
            <dd>
              {a.resolvedBy} · {format.dateTime(a.resolvedAt)}
            </dd>
          </>
        )}
      </dl>
      <h2>{t('alarms.comments')}</h2>
      {a.comments.length === 0 ? (
        <p>{t('alarms.noComments')}</p>
      ) : (
        <ol className="comments">
          {a.comments.map((c) => (
            <li key={c.id}>
              <strong>{c.author}</strong> · {format.dateTime(c.at)}
              <p>{c.text}</p>
            </li>
          ))}
        </ol>
      )}
      <Form onSubmit={addComment} className="form">
        <Field label={t('alarms.comment')} value={text} onChange={setText} multiline />
        <ErrorNotice error={action.error ?? comment.error} />
        <div className="row">
          <Button type="submit" isDisabled={!text.trim() || comment.isPending}>
            {t('alarms.addComment')}
          </Button>
          {a.state === 'active' && (
            <Button variant="primary" onPress={() => act('acknowledge')}>
              {t('alarms.acknowledge')}
            </Button>
          )}
          {a.state !== 'resolved' && (
            <Button variant="primary" onPress={() => act('resolve')}>
              {t('alarms.resolve')}
            </Button>
          )}
        </div>
      </Form>
    </Page>
  );
}
