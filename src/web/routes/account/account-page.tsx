// The operator's own account: second factors (authenticator app, passkeys, backup codes) and password.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { Page } from '../../components/common/page.tsx';
import { useNewBackupCodes, usePasswordChange, useSession } from '../../hooks/api/session.ts';
import { showBackupCodes } from '../../lib/backup-codes-store.ts';
import { PasskeyEnrolment, TotpEnrolment } from '../sign-in/mfa-enrolment.tsx';

export function AccountPage() {
  const { t } = useTranslation();
  const session = useSession().data;
  const backup = useNewBackupCodes();
  const password = usePasswordChange();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  if (session?.kind !== 'operator') return null;
  const { mfa, operator } = session;

  const changePassword = (event: FormEvent) => {
    event.preventDefault();
    password.mutate(
      { currentPassword: current, newPassword: next },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
        },
      },
    );
  };

  return (
    <Page title={t('account.title')}>
      <dl className="facts">
        <dt>{t('signIn.username')}</dt>
        <dd>{operator.username}</dd>
        <dt>{t('operators.role')}</dt>
        <dd>{t(`roles.${operator.role}`)}</dd>
      </dl>
      <h2>{t('account.secondFactors')}</h2>
      <ul>
        <li>{mfa.totp ? t('account.totpOn') : t('account.totpOff')}</li>
        <li>{t('account.passkeys', { count: mfa.webauthn })}</li>
        <li>{t('account.backupCodesLeft', { count: mfa.backupCodes })}</li>
      </ul>
      {!mfa.totp && (
        <section aria-labelledby="totp-heading">
          <h3 id="totp-heading">{t('enrol.totp')}</h3>
          <TotpEnrolment />
        </section>
      )}
      <section aria-labelledby="passkey-heading">
        <h3 id="passkey-heading">{t('enrol.passkey')}</h3>
        <PasskeyEnrolment />
      </section>
      <section aria-labelledby="backup-heading">
        <h3 id="backup-heading">{t('backupCodes.title')}</h3>
        <Button
          onPress={() => backup.mutate(undefined, { onSuccess: (answer) => showBackupCodes(answer.codes) })}
          isDisabled={!mfa.totp && mfa.webauthn === 0}
        >
          {t('backupCodes.regenerate')}
        </Button>
        <ErrorNotice error={backup.error} />
      </section>
      <section aria-labelledby="password-heading">
        <h2 id="password-heading">{t('account.passwordHeading')}</h2>
        <Form onSubmit={changePassword} className="form">
          <Field
            label={t('account.currentPasswordLabel')}
            type="password"
            value={current}
            onChange={setCurrent}
            isRequired
            autoComplete="current-password"
          />
          <Field
            label={t('account.newPasswordLabel')}
            type="password"
            value={next}
            onChange={setNext}
            isRequired
            minLength={12}
            autoComplete="new-password"
            description={t('setup.passwordHelp')}
          />
          <ErrorNotice error={password.error} />
          {password.isSuccess && (
            <p role="status" className="notice notice-success">
              {t('account.passwordChanged')}
            </p>
          )}
          <Button type="submit" variant="primary" isDisabled={password.isPending}>
            {t('account.changePasswordButton')}
          </Button>
        </Form>
      </section>
    </Page>
  );
}
