// One door at a glance: its state in words and colour (never colour alone), its mode and why.
import { useTranslation } from 'react-i18next';
import type { Door } from '../../hooks/api/doors.ts';

export type TileState = 'locked' | 'unlocked' | 'open' | 'forced' | 'held_open' | 'offline' | 'unknown';

export function tileState(door: Door, online: boolean | undefined): TileState {
  if (!door.controllerId) return 'unknown';
  if (!online) return 'offline';
  return door.mode === 'unlocked' ? 'unlocked' : 'locked';
}

export function DoorTile({ door, online }: { door: Door; online: boolean | undefined }) {
  const { t } = useTranslation();
  const state = tileState(door, online);
  return (
    <article className={`tile tile-${state}`} aria-labelledby={`door-${door.id}`}>
      <h3 id={`door-${door.id}`}>{door.name}</h3>
      <p className="tile-state">
        <span className="tile-dot" aria-hidden="true" />
        {t(`doorState.${state}`)}
      </p>
      <p className="tile-mode">
        {t('floor.mode')}: {t(`doorMode.${door.mode}`)} · {t('floor.modeWhy.base')}
      </p>
      {!door.controllerId && <p className="tile-note">{t('floor.noController')}</p>}
    </article>
  );
}
