// Sign-in, step one: username and password. The server then asks for a second factor, or for an
// administrator without one to enrol it first.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { useLogin } from '../../hooks/api/session.ts';
import { AuthFrame } from './auth-frame.tsx';

export function SignInPage({ expired }: { expired?: boolean }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const created = params.get('created');
  const login = useLogin();
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
        <Button type="submit" variant="primary" isDisabled={login.isPending}>
          {t('signIn.submit')}
        </Button>
      </Form>
      <p>
        <Link to="/setup">{t('signIn.firstRun')}</Link>
      </p>
    </AuthFrame>
  );
}
