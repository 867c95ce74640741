import { type ReactNode, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../../components/shell/language-switch.tsx';

/** The frame of the pages shown before sign-in is complete. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${title} — ${t('app.name')}`;
  }, [title, t]);
  return (
    <div className="auth-frame">
      <header className="auth-header">
        <span className="brand">
          <span lang="ja">門番</span> Monban
        </span>
        <LanguageSwitch />
      </header>
      <main className="auth-card" id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
