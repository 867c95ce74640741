// Re-authentication before a sensitive action (issuing an API token, creating or recovering an
// operator): the operator proves again who they are with their password and, if they have one,
// a code from their authenticator app or a backup code. It signs them in afresh (a new session id),
// then runs the action. The server does not yet require a recent sign-in for these routes; this
// keeps an unattended console from being used for them.
import { type FormEvent, type ReactNode, useState } from 'react';
import { Dialog, DialogTrigger, Form, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { call, setCsrfToken } from '../api/client.ts';
import type { LoginAnswer } from '../api/security-types.ts';
import { useSession } from '../hooks/api/session.ts';
import { Button } from './common/button.tsx';
import { ErrorNotice } from './common/error-notice.tsx';
import { Field } from './common/fields.tsx';

export function ReauthButton({
  label,
  children,
  onConfirmed,
  isDisabled,
}: {
  label: string;
  children?: ReactNode;
  onConfirmed: () => unknown;
  isDisabled?: boolean;
}) {
  const { t } = useTranslation();
  const session = useSession().data;
  const username = session?.kind === 'operator' ? session.operator.username : '';
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState(false);

  const reset = () => {
    setPassword('');
    setCode('');
    setStep('password');
    setError(undefined);
  };

  const submit = (close: () => void) => async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      let answer: LoginAnswer;
      if (step === 'password') {
        answer = await call<LoginAnswer>('POST', '/api/auth/login', { username, password });
        setCsrfToken(answer.csrfToken);
        if (answer.stage === 'mfa') {
          setStep('code');
          return;
        }
      } else {
        const path = /^\d{6}$/.test(code.trim()) ? '/api/auth/login/totp' : '/api/auth/login/backup-code';
        answer = await call<LoginAnswer>('POST', path, { code: code.trim() });
        setCsrfToken(answer.csrfToken);
      }
      await onConfirmed();
      reset();
      close();
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  };

  return (
    <DialogTrigger onOpenChange={(open) => !open && reset()}>
      <Button variant="primary" isDisabled={isDisabled}>
        {label}
      </Button>
      <ModalOverlay className="modal-overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog">
            {({ close }) => (
              <Form onSubmit={submit(close)} className="form">
                <Heading slot="title">{t('reauth.title')}</Heading>
                {children}
                <p>{t('reauth.why')}</p>
                {step === 'password' ? (
                  <Field
                    label={t('signIn.passwordLabel')}
                    type="password"
                    value={password}
                    onChange={setPassword}
                    isRequired
                    autoFocus
                    autoComplete="current-password"
                  />
                ) : (
                  <Field
                    label={t('reauth.code')}
                    value={code}
                    onChange={setCode}
                    isRequired
                    autoFocus
                    autoComplete="one-time-code"
                  />
                )}
                <ErrorNotice error={error} />
                <div className="dialog-actions">
                  <Button onPress={close}>{t('common.cancel')}</Button>
                  <Button type="submit" variant="primary" isDisabled={pending}>
                    {t('reauth.confirm')}
                  </Button>
                </div>
              </Form>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
