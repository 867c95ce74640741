import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Page } from '../components/common/page.tsx';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Page title={t('notFound.title')}>
      <p>{t('notFound.text')}</p>
      <Link to="/floor">{t('notFound.back')}</Link>
    </Page>
  );
}
