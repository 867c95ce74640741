import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { Page } from '../../components/common/page.tsx';
import { useCreatePerson } from '../../hooks/api/people.ts';
import { PersonForm } from './person-form.tsx';

export function NewPersonPage() {
  const { t } = useTranslation();
  const create = useCreatePerson();
  const navigate = useNavigate();
  return (
    <Page write="people:write" title={t('people.new')}>
      <PersonForm
        submitLabel={t('common.create')}
        error={create.error}
        pending={create.isPending}
        onSubmit={(fields) =>
          create.mutate(
            { ...fields, active: true },
            { onSuccess: (person) => navigate(`/people/${encodeURIComponent(person.id)}`) },
          )
        }
      />
    </Page>
  );
}
