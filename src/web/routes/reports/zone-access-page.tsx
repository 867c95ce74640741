// My Number zone access (マイナンバー 管理区域・取扱区域, /api/reports/my-number/access): every entry,
// exit and move, every refusal and every door alarm at the zones' doors over a window, with counts
// per kind and the evidence that nothing is missing (sequence gaps per controller, events still at
// the controller, the MAC chain and its signed checkpoint).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Column, DataTable } from '../../components/common/data-table.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { IdChecklist } from '../../components/common/fields.tsx';
import { Page } from '../../components/common/page.tsx';
import {
  CompletenessEvidence,
  CsvDownloads,
  LoadMore,
  localDefault,
  ReportForm,
  WindowFields,
  windowQuery,
} from '../../components/report-parts.tsx';
import {
  useMyNumberZones,
  useZoneAccess,
  type ZoneAccessItem,
  type ZoneAccessQuery,
} from '../../hooks/api/reports.ts';
import { useFormat } from '../../lib/format.ts';

const KINDS = ['entry', 'exit', 'move', 'denial', 'door_alarm'] as const;

export function ZoneAccessPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const zones = useMyNumberZones();
  const [chosen, setChosen] = useState<string[]>([]);
  const [from, setFrom] = useState(() => localDefault(format.timeZone, 30));
  const [until, setUntil] = useState(() => localDefault(format.timeZone, -1));
  const [query, setQuery] = useState<ZoneAccessQuery>();
  const report = useZoneAccess(query);
  const first = report.data?.pages[0];
  const items = report.data?.pages.flatMap((p) => p.items) ?? [];
  const zoneName = new Map((zones.data ?? []).map((z) => [z.id, z.name]));
  const columns: Column<ZoneAccessItem>[] = [
    { key: 'at', header: t('events.at'), cell: (i) => format.dateTime(i.at) },
    { key: 'kind', header: t('reports.kind'), cell: (i) => t(`reports.zoneKind.${i.kind}`) },
    { key: 'zone', header: t('reports.zone'), cell: (i) => zoneName.get(i.zone) ?? i.zone },
    {
      key: 'person',
      header: t('events.person'),
      cell: (i) => (i.personId ? `${i.personName ?? ''} (${i.personId})` : '—'),
    },
    { key: 'credential', header: t('events.credential'), cell: (i) => i.credential ?? '—' },
    { key: 'door', header: t('events.door'), cell: (i) => i.doorName ?? i.door ?? '—' },
    {
      key: 'reason',
      header: t('reports.reason'),
      cell: (i) =>
        i.reason === null
          ? '—'
          : i.kind === 'door_alarm'
            ? t(`alarmType.${i.reason}`, { defaultValue: i.reason })
            : t(`reason.${i.reason}`, { defaultValue: i.reason }),
    },
    { key: 'controller', header: t('events.controller'), cell: (i) => `${i.controllerId} #${i.seq}` },
  ];
  return (
    <Page title={t('nav.zoneAccess')}>
      <ErrorNotice error={zones.error} />
      {zones.data?.length === 0 && <p className="notice">{t('reports.noZones')}</p>}
      <ReportForm
        onSubmit={() =>
          setQuery({
            ...windowQuery(from, until, format.timeZone),
            ...(chosen.length > 0 && { zones: chosen.join(',') }),
          })
        }
      >
        <WindowFields from={from} until={until} setFrom={setFrom} setUntil={setUntil} />
        <IdChecklist
          label={t('reports.zonesAll')}
          options={(zones.data ?? []).map((z) => ({
            id: z.id,
            label: `${z.name} (${t(`reports.zoneType.${z.myNumberZone ?? 'none'}`)})`,
          }))}
          value={chosen}
          onChange={setChosen}
        />
      </ReportForm>
      <CsvDownloads path="/api/reports/my-number/access/csv" query={query} />
      <ErrorNotice error={report.error} />
      {query && first && (
        <>
          {first.summary && (
            <ul className="summary" aria-label={t('reports.summary')}>
              {KINDS.map((k) => (
                <li key={k}>
                  {t(`reports.zoneKind.${k}`)}: {first.summary?.[k] ?? 0}
                </li>
              ))}
            </ul>
          )}
          <CompletenessEvidence evidence={first.completeness} />
          <DataTable
            caption={t('nav.zoneAccess')}
            columns={columns}
            rows={items}
            rowKey={(i) => `${i.eventId}/${i.zone}/${i.kind}`}
            empty={t('events.none')}
          />
          <LoadMore {...report} />
        </>
      )}
    </Page>
  );
}
