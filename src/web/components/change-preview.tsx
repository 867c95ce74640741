// Before a change to an access level or schedule is saved: what it would do — "these 12 people gain
// access, these 3 lose it", with the doors and the first moment it makes a difference — computed
// by the server over the controllers' policies (POST /api/explain/preview), nothing saved until the
// operator confirms.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type ChangePreview,
  explainKeys,
  type ProposedChange,
  usePreviewChange,
} from '../hooks/api/explain.ts';
import { useFormat } from '../lib/format.ts';
import { Button } from './common/button.tsx';
import { ErrorNotice } from './common/error-notice.tsx';
import { Loading } from './common/page.tsx';

const SHOWN = 50;

export function ChangePreviewStep({
  change,
  onSave,
  onBack,
  saving,
  error,
}: {
  change: ProposedChange;
  onSave: () => void;
  onBack: () => void;
  saving: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const preview = usePreviewChange();
  const client = useQueryClient();
  const heading = useRef<HTMLHeadingElement>(null);
  const { mutate } = preview;
  // biome-ignore lint/correctness/useExhaustiveDependencies: asked once per change shown
  useEffect(() => {
    mutate(change);
    heading.current?.focus();
  }, []);
  const data = preview.data;
  return (
    <section className="change-preview" aria-labelledby="change-preview-title">
      <h3 id="change-preview-title" tabIndex={-1} ref={heading}>
        {t('preview.title')}
      </h3>
      <ErrorNotice error={preview.error ?? error} />
      {preview.isPending ? (
        <Loading />
      ) : (
        data && (
          <>
            <p role="status" className="notice">
              {data.counts.gain === 0 && data.counts.lose === 0
                ? t('preview.noEffect', { doors: data.doors.length })
                : t('preview.summary', { gain: data.counts.gain, lose: data.counts.lose })}
            </p>
            <PeopleList
              title={t('preview.gain', { count: data.counts.gain })}
              people={data.gain}
              total={data.counts.gain}
            />
            <PeopleList
              title={t('preview.lose', { count: data.counts.lose })}
              people={data.lose}
              total={data.counts.lose}
            />
            <p className="hint">{t('preview.how', { instants: data.instants.length })}</p>
          </>
        )
      )}
      <div className="row">
        <Button
          variant="primary"
          isDisabled={saving || preview.isPending}
          onPress={() => {
            onSave();
            void client.invalidateQueries({ queryKey: explainKeys.all });
          }}
        >
          {t('preview.save')}
        </Button>
        <Button onPress={onBack}>{t('preview.back')}</Button>
      </div>
    </section>
  );
}

function PeopleList({
  title,
  people,
  total,
}: {
  title: string;
  people: ChangePreview['gain'];
  total: number;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  if (total === 0) return null;
  return (
    <section aria-label={title}>
      <h4>{title}</h4>
      <ul className="preview-people">
        {people.slice(0, SHOWN).map((p) => (
          <li key={p.personId}>
            {`${p.name} (${p.personId})`} — {p.doors.join(', ')} —{' '}
            {t('preview.from', { when: format.dateTime(p.at) })}
          </li>
        ))}
      </ul>
      {total > SHOWN && <p>{t('preview.more', { count: total - SHOWN })}</p>}
    </section>
  );
}
