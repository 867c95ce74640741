// An API error as the operator should read it: the stable code translated, plus the field and
// reason the server names (never the value that was sent).
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client.ts';

export function errorText(t: (key: string, options?: Record<string, unknown>) => string, error: unknown) {
  if (error instanceof ApiError) return t(`errors.${error.code}`, { defaultValue: t('errors.UNKNOWN') });
  return t('errors.NETWORK');
}

export function ErrorNotice({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const details = error instanceof ApiError ? (error.body?.issues ?? []) : [];
  return (
    <div role="alert" className="notice notice-error">
      <p>{errorText(t, error)}</p>
      {details.length > 0 && (
        <ul>
          {details.map((issue) => (
            <li key={`${issue.field}:${issue.reason}`}>
              <code>{issue.field}</code> {issue.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
