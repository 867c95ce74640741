// A person's fields: ID (only when creating), name, department, site, groups and direct levels.
import { type FormEvent, useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist } from '../../components/common/fields.tsx';
import { useMayWrite } from '../../components/common/page.tsx';
import { useAccessLevels } from '../../hooks/api/access-levels.ts';
import { useGroups } from '../../hooks/api/groups.ts';
import type { Person } from '../../hooks/api/people.ts';

export interface PersonFields {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  groups: string[];
  levels: string[];
}

export function PersonForm({
  person,
  onSubmit,
  error,
  pending,
  submitLabel,
}: {
  person?: Person;
  onSubmit: (fields: PersonFields) => void;
  error: unknown;
  pending: boolean;
  submitLabel: string;
}) {
  const { t } = useTranslation();
  const writable = useMayWrite();
  const groups = useGroups();
  const levels = useAccessLevels();
  const [id, setId] = useState(person?.id ?? '');
  const [name, setName] = useState(person?.name ?? '');
  const [department, setDepartment] = useState(person?.department ?? '');
  const [site, setSite] = useState(person?.site ?? '');
  const [groupIds, setGroupIds] = useState<string[]>(person?.groups ?? []);
  const [levelIds, setLevelIds] = useState<string[]>(person?.levels ?? []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({
      id: id.trim(),
      name: name.trim(),
      department: department.trim() || null,
      site: site.trim() || null,
      groups: groupIds,
      levels: levelIds,
    });
  };

  return (
    <Form onSubmit={submit} className="form">
      {/* a role that may only read sees the same fields, disabled, and no save button */}
      <fieldset disabled={!writable} className="plain-fieldset">
        {!person && (
          <Field
            label={t('common.id')}
            description={t('people.idHelp')}
            value={id}
            onChange={setId}
            isRequired
            autoFocus
          />
        )}
        <Field label={t('people.name')} value={name} onChange={setName} isRequired />
        <Field label={t('people.department')} value={department} onChange={setDepartment} />
        <Field label={t('people.site')} value={site} onChange={setSite} />
        <IdChecklist
          label={t('people.groups')}
          options={(groups.data ?? []).map((g) => ({ id: g.id, label: g.name }))}
          value={groupIds}
          onChange={setGroupIds}
          empty={t('people.noGroups')}
        />
        <IdChecklist
          label={t('people.levels')}
          options={(levels.data ?? []).map((l) => ({ id: l.id, label: l.name }))}
          value={levelIds}
          onChange={setLevelIds}
          empty={t('people.noLevels')}
        />
      </fieldset>
      <ErrorNotice error={error} />
      {writable && (
        <Button type="submit" variant="primary" isDisabled={pending}>
          {submitLabel}
        </Button>
      )}
    </Form>
  );
}
