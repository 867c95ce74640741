// The floor: one tile per door, grouped by the area it leads into, with its mode and whether its
// controller is reachable. Live door position (open, forced, held open) and the door actions come
// with the operations API (live state, door commands, push stream); until then the tile says what
// the configuration and the controller link know.
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Loading, Page } from '../../components/common/page.tsx';
import { useAreas } from '../../hooks/api/areas.ts';
import { isOnline, useControllerStatuses } from '../../hooks/api/controller-link.ts';
import { type Door, useDoors } from '../../hooks/api/doors.ts';
import { DoorTile } from './door-tile.tsx';

export function FloorPage() {
  const { t } = useTranslation();
  const doors = useDoors();
  const areas = useAreas();
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
      {[...byArea].map(([area, list]) => (
        <section key={area} className="floor-area" aria-labelledby={`area-${area}`}>
          <h2 id={`area-${area}`}>{areaName.get(area) ?? area}</h2>
          <ul className="tiles">
            {list.map((door) => (
              <li key={door.id}>
                <DoorTile
                  door={door}
                  online={door.controllerId ? linkOf.get(door.controllerId) : undefined}
                />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </Page>
  );
}
