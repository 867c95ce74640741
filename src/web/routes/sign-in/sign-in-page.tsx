// Sign-in, step one: username and password, or single sign-on at the company's OpenID Connect
// provider when the server offers it. The server then asks for a second factor (unless the provider
// proved MFA), or for an operator without one to enrol it first. A refused single sign-on comes back
// here with `?ssoError=<code>`.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { startSingleSignOn, useAuthConfig, useLogin } from '../../hooks/api/session.ts';
import { AuthFrame } from './auth-frame.tsx';

export function SignInPage({ expired }: { expired?: boolean }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const created = params.get('created');
  const ssoError = params.get('ssoError');
  const login = useLogin();
  const config = useAuthConfig();
  const [username, setUsername] = useState(created ?? '');
  const [password, setPassword] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ username, password });
  };

  return (
    <AuthFrame title={t('signIn.title')}>
      {expired && (
        <p role="status" className="notice notice-warning">
          {t('signIn.expired')}
        </p>
      )}
      {created && (
        <p role="status" className="notice notice-success">
          {t('setup.done', { username: created })}
        </p>
      )}
      {ssoError && /^[A-Z_]{1,64}$/.test(ssoError) && (
        <ErrorNotice error={new ApiError(401, ssoError, ssoError)} />
      )}
      {config.data?.sso.enabled && (
        <div className="form">
          <Button variant="primary" onPress={startSingleSignOn}>
            {t('signIn.sso')}
          </Button>
          <p className="hint">{t('signIn.ssoOr')}</p>
        </div>
      )}
      <Form onSubmit={submit} className="form">
        <Field
          label={t('signIn.username')}
          value={username}
          onChange={setUsername}
          isRequired
          autoComplete="username"
          autoFocus
        />
        <Field
          label={t('signIn.passwordLabel')}
          type="password"
          value={password}
          onChange={setPassword}
          isRequired
          autoComplete="current-password"
        />
        <ErrorNotice error={login.error} />
        <Button
          type="submit"
          variant={config.data?.sso.enabled ? 'secondary' : 'primary'}
          isDisabled={login.isPending}
        >
          {t('signIn.submit')}
        </Button>
      </Form>
      <p>
        <Link to="/setup">{t('signIn.firstRun')}</Link>
      </p>
    </AuthFrame>
  );
}
