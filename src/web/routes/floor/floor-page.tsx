// The floor: the site's modes and site-wide actions (lockdown, threat level, clear fire), then one
// tile per door grouped by the area it leads into — each area with how many are inside and its
// actions (reset, occupancy maximum), each door with its live state, mode and why, and its actions.
// Live state comes from /api/live/*, refreshed by the push stream as things happen.
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { isOnline, useControllerStatuses } from '../../hooks/api/controller-link.ts';
import { type Door, useDoors } from '../../hooks/api/doors.ts';
import { useLiveDoors, useLiveOccupancy } from '../../hooks/api/live.ts';
import { AreaActions } from './area-actions.tsx';
import { DoorTile } from './door-tile.tsx';
import { SiteActions } from './site-actions.tsx';

export function FloorPage() {
  const { t } = useTranslation();
  const doors = useDoors();
  const areas = useAreas();
  const liveDoors = useLiveDoors();
  const occupancy = useLiveOccupancy();
  const controllerIds = [
    ...new Set((doors.data ?? []).flatMap((d) => (d.controllerId ? [d.controllerId] : []))),
  ];
  const statuses = useControllerStatuses(controllerIds);
  const linkOf = new Map(controllerIds.map((id, i) => [id, isOnline(statuses[i]?.data)]));

  if (doors.isPending || areas.isPending)
    return (
      <Page title={t('floor.title')}>
        <Loading />
      </Page>
    );
  const areaName = new Map((areas.data ?? []).map((a) => [a.id, a.name]));
  const liveOf = new Map((liveDoors.data ?? []).map((d) => [d.door, d]));
  const countOf = new Map((occupancy.data ?? []).map((o) => [o.area, o]));
  const byArea = new Map<string, Door[]>();
  for (const door of doors.data ?? []) byArea.set(door.toArea, [...(byArea.get(door.toArea) ?? []), door]);

  return (
    <Page title={t('floor.title')}>
      <ErrorNotice error={doors.error ?? areas.error} />
      {byArea.size === 0 && (
        <p>
          {t('floor.noDoors')} <Link to="/rules/doors">{t('floor.addDoors')}</Link>
        </p>
      )}
      {byArea.size > 0 && <SiteActions />}
      {[...byArea].map(([area, list]) => (
        <section key={area} className="floor-area" aria-labelledby={`area-${area}`}>
          <div className="floor-area-header">
            <h2 id={`area-${area}`}>{areaName.get(area) ?? area}</h2>
            {area !== 'outside' && (
              <AreaActions area={area} name={areaName.get(area) ?? area} live={countOf.get(area)} />
            )}
          </div>
          <ul className="tiles">
            {list.map((door) => (
              <li key={door.id}>
                <DoorTile
                  door={door}
                  online={door.controllerId ? linkOf.get(door.controllerId) : undefined}
                  live={liveOf.get(door.id)}
                />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </Page>
  );
}
