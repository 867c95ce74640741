// Site-wide actions on the floor: lockdown on or off (with the groups that still pass), the threat
// level, and clearing a fire zone after an alarm. Each states what will happen before it is sent,
// then shows what every controller did. The state shown is what the controllers report
// (GET /api/live/controllers), so a lockdown a controller has not applied does not look applied.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionOutcome } from '../../components/action-outcome.tsx';
import { ConfirmDialog } from '../../components/common/confirm-dialog.tsx';
import { ErrorNotice } from '../../components/common/error-notice.tsx';
import { Field, IdChecklist, SelectField } from '../../components/common/fields.tsx';
import { usePerformAction } from '../../hooks/api/actions.ts';
import { useAreas } from '../../hooks/api/areas.ts';
import { useGroups } from '../../hooks/api/groups.ts';
import { type LiveController, useLiveControllers } from '../../hooks/api/live.ts';
import { useCan } from '../../hooks/api/session.ts';
import { useSites } from '../../hooks/api/site.ts';

/** The site modes over every controller: a lockdown anywhere, the highest threat level, every fire zone. */
export function siteModes(controllers: readonly LiveController[]) {
  const lockdowns = controllers.filter((c) => c.lockdown !== null);
  return {
    lockdown: lockdowns.length > 0,
    lockdownControllers: lockdowns.length,
    exempt: [...new Set(lockdowns.flatMap((c) => c.lockdown?.exempt ?? []))],
    threatLevel: Math.max(0, ...controllers.map((c) => c.threatLevel ?? 0)),
    fireZones: [...new Set(controllers.flatMap((c) => c.fireZones))].sort(),
  };
}

export function SiteActions() {
  const { t } = useTranslation();
  const controllers = useLiveControllers();
  const sites = useSites();
  // With more than one site, the actions can name one; else they apply to every site in scope.
  const [site, setSite] = useState('');
  const siteName = new Map((sites.data ?? []).map((x) => [x.id, x.name]));
  const scope = site ? { site } : {};
  const groups = useGroups();
  const areas = useAreas();
  const action = usePerformAction();
  const may = useCan()('operations:write');
  const [exempt, setExempt] = useState<string[]>([]);
  const [level, setLevel] = useState('0');
  const knownZones = [
    ...new Set((areas.data ?? []).flatMap((a) => (a.rules?.fireZone ? [a.rules.fireZone] : []))),
  ].sort();
  const [zone, setZone] = useState('');
  const modes = siteModes((controllers.data ?? []).filter((c) => !site || c.site === site));
  const zones = [...new Set([...modes.fireZones, ...knownZones])];
  const chosenZone = zone || modes.fireZones[0] || zones[0] || '';
  const groupName = new Map((groups.data ?? []).map((g) => [g.id, g.name]));
  const validLevel = /^\d{1,3}$/.test(level) && Number(level) <= 100;

  return (
    <section className="site-actions" aria-labelledby="site-actions-title">
      <h2 id="site-actions-title">{t('site.title')}</h2>
      <ErrorNotice error={controllers.error} />
      {(sites.data?.length ?? 0) > 1 && (
        <div className="toolbar">
          <SelectField
            label={t('site.which')}
            value={site}
            onChange={setSite}
            options={[
              { id: '', label: t('site.allSitesOption') },
              ...(sites.data ?? []).map((x) => ({ id: x.id, label: x.name })),
            ]}
          />
        </div>
      )}
      <ul className="site-modes" aria-label={t('site.modes')}>
        <li className={modes.lockdown ? 'site-mode-alert' : undefined}>
          {modes.lockdown
            ? t('site.lockdownOn', {
                count: modes.lockdownControllers,
                exempt: modes.exempt.map((g) => groupName.get(g) ?? g).join(', ') || t('site.none'),
              })
            : t('site.lockdownOff')}
        </li>
        <li>{t('site.threatLevel', { level: modes.threatLevel })}</li>
        <li className={modes.fireZones.length > 0 ? 'site-mode-alert' : undefined}>
          {modes.fireZones.length > 0
            ? t('site.fireActive', { zones: modes.fireZones.join(', ') })
            : t('site.fireNone')}
        </li>
      </ul>
      {may && (
        <div className="row">
          {modes.lockdown ? (
            <ConfirmDialog
              trigger={t('site.endLockdown')}
              title={t('site.endLockdownTitle')}
              confirmLabel={t('site.endLockdown')}
              onConfirm={() => action.mutateAsync({ action: 'set-lockdown', active: false, ...scope })}
            >
              <p>{t('site.endLockdownEffect')}</p>
            </ConfirmDialog>
          ) : (
            <ConfirmDialog
              trigger={t('site.lockdown')}
              title={t('site.lockdownTitle')}
              confirmLabel={t('site.lockdownConfirm')}
              variant="danger"
              onConfirm={() => action.mutateAsync({ action: 'set-lockdown', active: true, exempt, ...scope })}
            >
              <IdChecklist
                label={t('site.exemptGroups')}
                options={(groups.data ?? []).map((g) => ({ id: g.id, label: g.name }))}
                value={exempt}
                onChange={setExempt}
                empty={t('site.noGroups')}
              />
              <p>
                {t('site.lockdownEffect', {
                  exempt: exempt.map((g) => groupName.get(g) ?? g).join(', ') || t('site.none'),
                  where: site ? (siteName.get(site) ?? site) : t('site.allSites'),
                })}
              </p>
            </ConfirmDialog>
          )}
          <ConfirmDialog
            trigger={t('site.setThreat')}
            title={t('site.setThreatTitle')}
            confirmLabel={t('site.setThreatConfirm')}
            onConfirm={() =>
              validLevel && action.mutateAsync({ action: 'set-threat-level', level: Number(level), ...scope })
            }
          >
            <Field
              label={t('site.threatLevelField')}
              inputMode="numeric"
              value={level}
              onChange={setLevel}
              {...(!validLevel && { errorMessage: t('site.threatInvalid') })}
            />
            <p>
              {t('site.setThreatEffect', {
                level: validLevel ? Number(level) : '—',
                where: site ? (siteName.get(site) ?? site) : t('site.allSites'),
              })}
            </p>
          </ConfirmDialog>
          <ConfirmDialog
            trigger={t('site.clearFire')}
            title={t('site.clearFireTitle')}
            confirmLabel={t('site.clearFire')}
            isDisabled={zones.length === 0}
            onConfirm={() =>
              chosenZone && action.mutateAsync({ action: 'clear-fire', zone: chosenZone, ...scope })
            }
          >
            <SelectField
              label={t('site.fireZone')}
              value={chosenZone}
              onChange={setZone}
              options={zones.map((z) => ({
                id: z,
                label: modes.fireZones.includes(z) ? t('site.zoneActive', { zone: z }) : z,
              }))}
            />
            <p>{t('site.clearFireEffect', { zone: chosenZone })}</p>
          </ConfirmDialog>
        </div>
      )}
      <ErrorNotice error={action.error} />
      {action.data && <ActionOutcome status={action.data} />}
    </section>
  );
}
