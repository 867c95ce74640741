// The main navigation: one list of sections, each a link the router handles.
import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import { useActiveAlarmCount } from '../../hooks/api/alarms.ts';

export const NAV_SECTIONS = [
  {
    group: 'live',
    items: [
      ['/floor', 'nav.floor'],
      ['/events', 'nav.events'],
      ['/alarms', 'nav.alarms'],
    ],
  },
  { group: 'people', items: [['/people', 'nav.people']] },
  {
    group: 'keys',
    items: [
      ['/keys', 'nav.keys'],
      ['/keys/guests', 'nav.guests'],
      ['/keys/reservations', 'nav.reservations'],
      ['/keys/deliveries', 'nav.deliveries'],
    ],
  },
  {
    group: 'rules',
    items: [
      ['/rules/levels', 'nav.levels'],
      ['/rules/groups', 'nav.groups'],
      ['/rules/schedules', 'nav.schedules'],
      ['/rules/holidays', 'nav.holidays'],
      ['/rules/areas', 'nav.areas'],
      ['/rules/doors', 'nav.doors'],
      ['/rules/access', 'nav.access'],
    ],
  },
  {
    group: 'reports',
    items: [
      ['/reports/muster', 'nav.muster'],
      ['/reports/events', 'nav.eventExport'],
      ['/reports/attendance', 'nav.attendance'],
      ['/reports/occupancy', 'nav.occupancy'],
      ['/reports/my-number', 'nav.zoneAccess'],
      ['/reports/incident', 'nav.incident'],
      ['/reports/inventory', 'nav.inventory'],
      ['/reports/access-review', 'nav.accessReview'],
    ],
  },
  {
    group: 'admin',
    items: [
      ['/admin/controllers', 'nav.controllers'],
      ['/admin/operators', 'nav.operators'],
      ['/admin/tokens', 'nav.tokens'],
      ['/admin/audit', 'nav.audit'],
    ],
  },
] as const;

export function Nav() {
  const { t } = useTranslation();
  const activeAlarms = useActiveAlarmCount();
  return (
    <nav aria-label={t('shell.navigation')} className="nav">
      {NAV_SECTIONS.map((section) => (
        <div key={section.group} className="nav-group">
          <h2 className="nav-heading" id={`nav-${section.group}`}>
            {t(`nav.group.${section.group}`)}
          </h2>
          <ul aria-labelledby={`nav-${section.group}`}>
            {section.items.map(([to, key]) => (
              <li key={to}>
                <NavLink to={to} className="nav-link">
                  {t(key)}
                  {to === '/alarms' && activeAlarms > 0 && (
                    <span className="badge badge-alarm">
                      <span className="visually-hidden">
                        {t('alarms.activeCount', { count: activeAlarms })}
                      </span>
                      <span aria-hidden="true">{activeAlarms}</span>
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
