// The signed-in frame: skip link, header (who, language, sign out), navigation, the page, and the
// alarm cue that plays wherever the operator is. The one push-stream connection lives here, for as
// long as the operator is signed in.
import { useTranslation } from 'react-i18next';
import { Link, Outlet } from 'react-router';
import type { Operator } from '../../api/security-types.ts';
import { useLogout } from '../../hooks/api/session.ts';
import { useLiveStream } from '../../hooks/live-stream.ts';
import { AlarmCue } from '../alarm-cue.tsx';
import { Button } from '../common/button.tsx';
import { LanguageSwitch } from './language-switch.tsx';
import { LiveStatus } from './live-status.tsx';
import { Nav } from './nav.tsx';

export function Layout({ operator }: { operator: Operator }) {
  const { t } = useTranslation();
  const logout = useLogout();
  useLiveStream();
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        {t('shell.skipToContent')}
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span lang="ja">門番</span> Monban
        </Link>
        <AlarmCue />
        <div className="topbar-end">
          <LiveStatus />
          <Link to="/account" className="operator-link">
            {operator.displayName || operator.username}
            <span className="role"> · {t(`roles.${operator.role}`)}</span>
          </Link>
          <LanguageSwitch />
          <Button variant="quiet" onPress={() => logout.mutate()}>
            {t('shell.signOut')}
          </Button>
        </div>
      </header>
      <div className="body">
        <Nav />
        <main id="main" className="main">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
