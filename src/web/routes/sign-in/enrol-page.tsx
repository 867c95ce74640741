// An administrator without a second factor must enrol one before anything else.

import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { useLogout } from '../../hooks/api/session.ts';
import { AuthFrame } from './auth-frame.tsx';
import { BackupCodesPanel, PasskeyEnrolment, TotpEnrolment } from './mfa-enrolment.tsx';

export function EnrolPage() {
  const { t } = useTranslation();
  const logout = useLogout();
  return (
    <AuthFrame title={t('enrol.title')}>
      <p>{t('enrol.required')}</p>
      <Tabs className="tabs">
        <TabList aria-label={t('enrol.choose')} className="tab-list">
          <Tab id="totp" className="tab">
            {t('enrol.totp')}
          </Tab>
          <Tab id="passkey" className="tab">
            {t('enrol.passkey')}
          </Tab>
        </TabList>
        <TabPanel id="totp" className="tab-panel">
          <TotpEnrolment />
        </TabPanel>
        <TabPanel id="passkey" className="tab-panel">
          <PasskeyEnrolment />
        </TabPanel>
      </Tabs>
      <Button variant="quiet" onPress={() => logout.mutate()}>
        {t('secondFactor.cancel')}
      </Button>
    </AuthFrame>
  );
}

export function BackupCodesPage({ codes }: { codes: string[] }) {
  const { t } = useTranslation();
  return (
    <AuthFrame title={t('backupCodes.title')}>
      <BackupCodesPanel codes={codes} />
    </AuthFrame>
  );
}
