// Sign-in, step two: an authenticator code, a passkey, or a one-time backup code.
import { type FormEvent, useState } from 'react';
import { Form, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import type { MfaStatus } from '../../api/security-types.ts';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { useLogout, usePasskeyLogin, useSecondFactorLogin } from '../../hooks/api/session.ts';
import { AuthFrame } from './auth-frame.tsx';

export function SecondFactorPage({ mfa }: { mfa: MfaStatus }) {
  const { t } = useTranslation();
  const codeLogin = useSecondFactorLogin();
  const passkey = usePasskeyLogin();
  const logout = useLogout();
  const [code, setCode] = useState('');
  const [backup, setBackup] = useState('');

  const tabs = [
    ...(mfa.totp ? (['totp'] as const) : []),
    ...(mfa.webauthn > 0 ? (['passkey'] as const) : []),
    ...(mfa.backupCodes > 0 ? (['backup'] as const) : []),
  ];

  const submitCode = (kind: 'totp' | 'backup_code', value: string) => (event: FormEvent) => {
    event.preventDefault();
    codeLogin.mutate({ kind, code: value.trim() });
  };

  return (
    <AuthFrame title={t('secondFactor.title')}>
      <Tabs className="tabs">
        <TabList aria-label={t('secondFactor.choose')} className="tab-list">
          {tabs.map((id) => (
            <Tab key={id} id={id} className="tab">
              {t(`secondFactor.${id}`)}
            </Tab>
          ))}
        </TabList>
        <TabPanel id="totp" className="tab-panel">
          <Form onSubmit={submitCode('totp', code)} className="form">
            <Field
              label={t('secondFactor.code')}
              description={t('secondFactor.codeHelp')}
              value={code}
              onChange={setCode}
              inputMode="numeric"
              autoComplete="one-time-code"
              isRequired
              autoFocus
            />
            <Button type="submit" variant="primary" isDisabled={codeLogin.isPending}>
              {t('secondFactor.verify')}
            </Button>
          </Form>
        </TabPanel>
        <TabPanel id="passkey" className="tab-panel">
          <p>{t('secondFactor.passkeyHelp')}</p>
          <Button variant="primary" onPress={() => passkey.mutate()} isDisabled={passkey.isPending}>
            {t('secondFactor.usePasskey')}
          </Button>
          <ErrorNotice error={passkey.error} />
        </TabPanel>
        <TabPanel id="backup" className="tab-panel">
          <Form onSubmit={submitCode('backup_code', backup)} className="form">
            <Field
              label={t('secondFactor.backupCode')}
              description={t('secondFactor.backupHelp')}
              value={backup}
              onChange={setBackup}
              autoComplete="off"
              isRequired
            />
            <Button type="submit" variant="primary" isDisabled={codeLogin.isPending}>
              {t('secondFactor.verify')}
            </Button>
          </Form>
        </TabPanel>
      </Tabs>
      <ErrorNotice error={codeLogin.error} />
      <Button variant="quiet" onPress={() => logout.mutate()}>
        {t('secondFactor.cancel')}
      </Button>
    </AuthFrame>
  );
}
