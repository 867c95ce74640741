// The main navigation: one list of sections, each a link the router handles and the permission its
// page's main call needs (the API's route table), so an operator sees only what the role can open.
import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import { useActiveAlarmCount } from '../../hooks/api/alarms.ts';
import { useCan } from '../../hooks/api/session.ts';

export const NAV_SECTIONS = [
  {
    group: 'live',
    items: [
      ['/floor', 'nav.floor', 'site:read'],
      ['/events', 'nav.events', 'events:read'],
      ['/alarms', 'nav.alarms', 'alarms:read'],
    ],
  },
  { group: 'people', items: [['/people', 'nav.people', 'people:read']] },
  {
    group: 'keys',
    items: [
      ['/keys', 'nav.keys', 'credentials:read'],
      ['/keys/guests', 'nav.guests', 'people:read'],
      ['/keys/reservations', 'nav.reservations', 'credentials:read'],
      ['/keys/deliveries', 'nav.deliveries', 'credentials:write'],
    ],
  },
  {
    group: 'rules',
    items: [
      ['/rules/levels', 'nav.levels', 'site:read'],
      ['/rules/groups', 'nav.groups', 'site:read'],
      ['/rules/schedules', 'nav.schedules', 'site:read'],
      ['/rules/holidays', 'nav.holidays', 'site:read'],
      ['/rules/areas', 'nav.areas', 'site:read'],
      ['/rules/doors', 'nav.doors', 'site:read'],
      ['/rules/access', 'nav.access', 'site:read'],
    ],
  },
  {
    group: 'reports',
    items: [
      ['/reports/muster', 'nav.muster', 'people:read'],
      ['/reports/events', 'nav.eventExport', 'events:read'],
      ['/reports/attendance', 'nav.attendance', 'people:read'],
      ['/reports/occupancy', 'nav.occupancy', 'events:read'],
      ['/reports/my-number', 'nav.zoneAccess', 'audit:read'],
      ['/reports/incident', 'nav.incident', 'audit:read'],
      ['/reports/inventory', 'nav.inventory', 'credentials:read'],
      ['/reports/access-review', 'nav.accessReview', 'people:read'],
    ],
  },
  {
    group: 'admin',
    items: [
      ['/admin/controllers', 'nav.controllers', 'controllers:read'],
      ['/admin/operators', 'nav.operators', 'operators:read'],
      ['/admin/tokens', 'nav.tokens', 'settings:write'],
      ['/admin/audit', 'nav.audit', 'audit:read'],
    ],
  },
] as const;

export function Nav() {
  const { t } = useTranslation();
  const activeAlarms = useActiveAlarmCount();
  const can = useCan();
  const sections = NAV_SECTIONS.map((s) => ({ ...s, items: s.items.filter(([, , p]) => can(p)) })).filter(
    (s) => s.items.length > 0,
  );
  return (
    <nav aria-label={t('shell.navigation')} className="nav">
      {sections.map((section) => (
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
