// Enrolling a second factor: an authenticator app (QR code and the secret to type by hand) or a
// passkey. The first factor enrolled also brings one-time backup codes, shown once.
import QRCode from 'qrcode';
import { type FormEvent, useEffect, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field } from '../../components/common/fields.tsx';
import { usePasskeyRegistration, useTotpConfirm, useTotpEnrolment } from '../../hooks/api/session.ts';
import { showBackupCodes } from '../../lib/backup-codes-store.ts';

export function TotpEnrolment({ onDone }: { onDone?: () => void }) {
  const { t } = useTranslation();
  const start = useTotpEnrolment();
  const confirm = useTotpConfirm();
  const [qr, setQr] = useState<string>();
  const [code, setCode] = useState('');
  const uri = start.data?.uri;

  useEffect(() => {
    if (uri) void QRCode.toDataURL(uri, { margin: 1, width: 220 }).then(setQr);
  }, [uri]);

  if (!start.data)
    return (
      <div className="stack">
        <p>{t('enrol.totpIntro')}</p>
        <Button variant="primary" onPress={() => start.mutate()} isDisabled={start.isPending}>
          {t('enrol.totpStart')}
        </Button>
        <ErrorNotice error={start.error} />
      </div>
    );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    confirm.mutate(code.trim(), {
      onSuccess: (answer) => {
        if (answer.backupCodes) showBackupCodes(answer.backupCodes);
        onDone?.();
      },
    });
  };

  return (
    <div className="stack">
      <p>{t('enrol.totpScan')}</p>
      {qr && <img src={qr} alt={t('enrol.qrAlt')} width={220} height={220} className="qr" />}
      <p>
        {t('enrol.totpManual')} <code data-testid="totp-secret">{start.data.secret}</code>
      </p>
      <Form onSubmit={submit} className="form">
        <Field
          label={t('enrol.totpCode')}
          value={code}
          onChange={setCode}
          inputMode="numeric"
          autoComplete="one-time-code"
          isRequired
        />
        <ErrorNotice error={confirm.error} />
        <Button type="submit" variant="primary" isDisabled={confirm.isPending}>
          {t('enrol.totpConfirm')}
        </Button>
      </Form>
    </div>
  );
}

export function PasskeyEnrolment({ onDone }: { onDone?: () => void }) {
  const { t } = useTranslation();
  const register = usePasskeyRegistration();
  const [name, setName] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate(name.trim() || 'passkey', {
      onSuccess: (answer) => {
        if (answer.backupCodes) showBackupCodes(answer.backupCodes);
        onDone?.();
      },
    });
  };
  return (
    <Form onSubmit={submit} className="form">
      <p>{t('enrol.passkeyIntro')}</p>
      <Field
        label={t('enrol.passkeyName')}
        value={name}
        onChange={setName}
        placeholder={t('enrol.passkeyNameExample')}
      />
      <ErrorNotice error={register.error} />
      <Button type="submit" variant="primary" isDisabled={register.isPending}>
        {t('enrol.passkeyAdd')}
      </Button>
    </Form>
  );
}

export function BackupCodesPanel({ codes }: { codes: string[] }) {
  const { t } = useTranslation();
  const download = () => {
    const url = URL.createObjectURL(new Blob([`${codes.join('\n')}\n`], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'monban-backup-codes.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="stack">
      <p>{t('backupCodes.intro')}</p>
      <ol className="backup-codes" aria-label={t('backupCodes.title')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="row">
        <Button onPress={download}>{t('backupCodes.download')}</Button>
        <Button variant="primary" onPress={() => showBackupCodes(undefined)}>
          {t('backupCodes.stored')}
        </Button>
      </div>
    </div>
  );
}
