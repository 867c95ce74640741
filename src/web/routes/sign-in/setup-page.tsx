// First run: the administrator is created with the one-time setup token the server printed.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { useSetup } from '../../hooks/api/session.ts';
import { AuthFrame } from './auth-frame.tsx';

export function SetupPage() {
  const { t } = useTranslation();
  const setup = useSetup();
  const navigate = useNavigate();
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const mismatch = repeat !== '' && repeat !== password;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setup.mutate(
      { token: token.trim(), username, password, ...(displayName && { displayName }) },
      { onSuccess: () => navigate(`/sign-in?created=${encodeURIComponent(username)}`) },
    );
  };

  return (
    <AuthFrame title={t('setup.title')}>
      <p>{t('setup.intro')}</p>
      <Form onSubmit={submit} className="form">
        <Field
          label={t('setup.tokenLabel')}
          description={t('setup.tokenHelp')}
          value={token}
          onChange={setToken}
          isRequired
          autoComplete="off"
        />
        <Field
          label={t('signIn.username')}
          value={username}
          onChange={setUsername}
          isRequired
          autoComplete="username"
        />
        <Field
          label={t('setup.displayName')}
          value={displayName}
          onChange={setDisplayName}
          autoComplete="name"
        />
        <Field
          label={t('signIn.passwordLabel')}
          description={t('setup.passwordHelp')}
          type="password"
          value={password}
          onChange={setPassword}
          isRequired
          minLength={12}
          autoComplete="new-password"
        />
        <Field
          label={t('setup.repeatPasswordLabel')}
          type="password"
          value={repeat}
          onChange={setRepeat}
          isRequired
          autoComplete="new-password"
          errorMessage={mismatch ? t('setup.mismatch') : undefined}
        />
        <ErrorNotice error={setup.error} />
        <Button type="submit" variant="primary" isDisabled={setup.isPending}>
          {t('setup.submit')}
        </Button>
      </Form>
      <p>
        <Link to="/sign-in">{t('setup.haveAccount')}</Link>
      </p>
    </AuthFrame>
  );
}
