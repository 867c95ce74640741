// The stored setting of which areas count as at work for attendance (an area counts with everything
// inside it; none ticked: every area). Changing it is an admin's (site:write) and is audited.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/common/button.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { IdChecklist } from '../../components/common/fields.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { useAttendanceSettings, useSaveAttendanceSettings } from '../../hooks/api/reports.ts';

export function WorkAreasSettings() {
  const { t } = useTranslation();
  const areas = useAreas();
  const settings = useAttendanceSettings();
  const save = useSaveAttendanceSettings();
  const [chosen, setChosen] = useState<string[]>([]);
  useEffect(() => {
    if (settings.data) setChosen(settings.data.workAreas);
  }, [settings.data]);
  return (
    <details className="settings">
      <summary>{t('reports.workAreasSetting')}</summary>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(chosen);
        }}
      >
        <IdChecklist
          label={t('reports.workAreasStored')}
          options={(areas.data ?? [])
            .filter((a) => a.id !== 'outside')
            .map((a) => ({ id: a.id, label: a.name }))}
          value={chosen}
          onChange={setChosen}
        />
        <ErrorNotice error={settings.error ?? save.error} />
        <Button type="submit" isDisabled={save.isPending}>
          {t('reports.saveWorkAreas')}
        </Button>
        {save.isSuccess && (
          <p role="status" className="notice notice-success">
            {t('common.saved')}
          </p>
        )}
      </form>
    </details>
  );
}
