// A key's delivery link, shown once: the address to hand on (e-mail, chat) and the same address as a
// QR code to scan from this screen. The server answers it only in the write that issued it, and the
// console keeps it nowhere else — leaving the page or closing this forgets it; a lost link is
// replaced with "New link", which also changes the key's secret.
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { IssuedKey } from '../hooks/api/keys-guests.ts';
import { useFormat } from '../lib/format.ts';
import { Button } from './common/button.tsx';

export function IssuedLink({
  issued,
  onDismiss,
}: {
  issued: Pick<IssuedKey, 'key' | 'link'>;
  onDismiss: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [qr, setQr] = useState<string>();
  const [copied, setCopied] = useState(false);
  const { url, expiresAt } = issued.link;
  useEffect(() => {
    void QRCode.toDataURL(url, { margin: 1, width: 220 }).then(setQr);
  }, [url]);
  return (
    <section className="issued-link notice notice-success" aria-labelledby="issued-link-title">
      <h2 id="issued-link-title">{t('keys.linkTitle', { id: issued.key.id })}</h2>
      <p role="status">{t('keys.linkOnce', { when: format.dateTime(expiresAt) })}</p>
      <p>
        <a href={url} className="issued-url" target="_blank" rel="noopener noreferrer">
          {url}
        </a>
      </p>
      {qr && <img src={qr} alt={t('keys.qrAlt')} width={220} height={220} />}
      <div className="row">
        <Button
          onPress={() =>
            void navigator.clipboard?.writeText(url).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? t('keys.copied') : t('keys.copy')}
        </Button>
        <Button variant="quiet" onPress={onDismiss}>
          {t('keys.linkDone')}
        </Button>
      </div>
    </section>
  );
}
