import { createContext, type ReactNode, useContext, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Permission } from '../../api/security-types.ts';
import { useCan } from '../../hooks/api/session.ts';

const Writable = createContext(true);

/** Whether the page's changes are open to the caller (its `write` permission); tables drop their actions column when not. */
export function useMayWrite(): boolean {
  return useContext(Writable);
}

/** A part of a page whose changes need another permission than the page's (e.g. credentials on a person). */
export function WriteScope({ write, children }: { write: Permission; children: ReactNode }) {
  const can = useCan();
  return <Writable.Provider value={can(write)}>{children}</Writable.Provider>;
}

/** What only a caller who may change the page sees: forms, buttons that write. */
export function WriteOnly({ children }: { children: ReactNode }) {
  return useMayWrite() ? children : null;
}

/**
 * A page: its heading (focused on arrival, so keyboard and screen-reader users start at the top).
 * `write` is the permission its changes need: a role without it sees the page without its actions
 * (and a note saying so). The server checks every call regardless.
 */
export function Page({
  title,
  actions,
  write,
  children,
}: {
  title: string;
  actions?: ReactNode;
  write?: Permission;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const can = useCan();
  const writable = write === undefined || can(write);
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
        {actions && writable && <div className="page-actions">{actions}</div>}
      </header>
      {!writable && <p className="read-only-note">{t('common.readOnly')}</p>}
      <Writable.Provider value={writable}>{children}</Writable.Provider>
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
