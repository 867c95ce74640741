// Shows the page the session allows: setup or sign-in without one, the second factor or MFA
// enrolment while sign-in is incomplete, backup codes until they were stored, else the console.
// When the server answers 401 to anything (idle timeout, signed out elsewhere), the operator is asked
// to sign in again on the same address and lands back on the page they were on.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { onUnauthenticated } from '../../api/client.ts';
import { sessionKey, useSession } from '../../hooks/api/session.ts';
import { usePendingBackupCodes } from '../../lib/backup-codes-store.ts';
import { BackupCodesPage, EnrolPage } from '../../routes/sign-in/enrol-page.tsx';
import { SecondFactorPage } from '../../routes/sign-in/second-factor-page.tsx';
import { SetupPage } from '../../routes/sign-in/setup-page.tsx';
import { SignInPage } from '../../routes/sign-in/sign-in-page.tsx';
import { ErrorNotice } from '../common/error-notice.tsx';
import { Loading } from '../common/page.tsx';
import { Layout } from './layout.tsx';

export function SessionGate() {
  const session = useSession();
  const client = useQueryClient();
  const location = useLocation();
  const backupCodes = usePendingBackupCodes();
  const [expired, setExpired] = useState(false);

  useEffect(
    () =>
      onUnauthenticated(() => {
        setExpired(true);
        client.setQueryData(sessionKey, null);
      }),
    [client],
  );
  useEffect(() => {
    if (session.data?.kind === 'operator' && session.data.stage === 'full') setExpired(false);
  }, [session.data]);

  if (session.isPending) return <Loading />;
  if (session.isError) return <ErrorNotice error={session.error} />;
  const info = session.data;
  if (backupCodes) return <BackupCodesPage codes={backupCodes} />;
  if (info?.kind !== 'operator') {
    if (location.pathname === '/setup') return <SetupPage />;
    return <SignInPage expired={expired} />;
  }
  if (info.stage === 'mfa') return <SecondFactorPage mfa={info.mfa} />;
  if (info.stage === 'enrol') return <EnrolPage />;
  return <Layout operator={info.operator} />;
}
