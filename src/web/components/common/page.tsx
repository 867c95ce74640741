import { type ReactNode, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

/** A page: its heading (focused on arrival, so keyboard and screen-reader users start at the top). */
export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);
  const section = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${title} — ${t('app.name')}`;
    // A field that asked for focus (autoFocus) keeps it; otherwise the heading takes it.
    if (!section.current?.contains(document.activeElement)) heading.current?.focus({ preventScroll: true });
  }, [title, t]);
  return (
    <section className="page" aria-labelledby="page-title" ref={section}>
      <header className="page-header">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}
