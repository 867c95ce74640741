// Every page of the console, by the address the operator sees. Pages are thin views over the data
// hooks (hooks/api/*); the session gate decides whether a page or the sign-in is shown.

import { RouterProvider as AriaRouterProvider } from 'react-aria-components';
import { Navigate, Outlet, type RouteObject, useHref, useNavigate } from 'react-router';
import { SessionGate } from './components/shell/session-gate.tsx';
import { AccountPage } from './routes/account/account-page.tsx';
import { AuditPage } from './routes/admin/audit-page.tsx';
import { ControllersPage } from './routes/admin/controllers-page.tsx';
import { OperatorsPage } from './routes/admin/operators-page.tsx';
import { TokensPage } from './routes/admin/tokens-page.tsx';
import { AlarmDetailPage } from './routes/alarms/alarm-detail-page.tsx';
import { AlarmsPage } from './routes/alarms/alarms-page.tsx';
import { EventsPage } from './routes/events/events-page.tsx';
import { FloorPage } from './routes/floor/floor-page.tsx';
import { DeliveriesPage } from './routes/keys/deliveries-page.tsx';
import { GuestsPage } from './routes/keys/guests-page.tsx';
import { KeysPage } from './routes/keys/keys-page.tsx';
import { ReservationsPage } from './routes/keys/reservations-page.tsx';
import { NotFoundPage } from './routes/not-found-page.tsx';
import { ImportPage } from './routes/people/import-page.tsx';
import { NewPersonPage } from './routes/people/new-person-page.tsx';
import { PeoplePage } from './routes/people/people-page.tsx';
import { PersonPage } from './routes/people/person-page.tsx';
import { AccessReviewPage } from './routes/reports/access-review-page.tsx';
import { AttendancePage } from './routes/reports/attendance-page.tsx';
import { EventExportPage } from './routes/reports/event-export-page.tsx';
import { IncidentPage } from './routes/reports/incident-page.tsx';
import { InventoryPage } from './routes/reports/inventory-page.tsx';
import { MusterPage } from './routes/reports/muster-page.tsx';
import { OccupancyPage } from './routes/reports/occupancy-page.tsx';
import { ZoneAccessPage } from './routes/reports/zone-access-page.tsx';
import { AccessPage } from './routes/rules/access-page.tsx';
import { AreasPage } from './routes/rules/areas-page.tsx';
import { DoorsPage } from './routes/rules/doors-page.tsx';
import { GroupsPage } from './routes/rules/groups-page.tsx';
import { HolidaysPage } from './routes/rules/holidays-page.tsx';
import { LevelsPage } from './routes/rules/levels-page.tsx';
import { SchedulesPage } from './routes/rules/schedules-page.tsx';

function Root() {
  const navigate = useNavigate();
  return (
    <AriaRouterProvider navigate={(to) => navigate(to)} useHref={useHref}>
      <Outlet />
    </AriaRouterProvider>
  );
}

export const routes: RouteObject[] = [
  {
    element: <Root />,
    children: [
      {
        element: <SessionGate />,
        children: [
          { index: true, element: <Navigate to="/floor" replace /> },
          { path: 'setup', element: <Navigate to="/floor" replace /> },
          { path: 'sign-in', element: <Navigate to="/floor" replace /> },
          { path: 'floor', element: <FloorPage /> },
          { path: 'events', element: <EventsPage /> },
          { path: 'alarms', element: <AlarmsPage /> },
          { path: 'alarms/:id', element: <AlarmDetailPage /> },
          { path: 'people', element: <PeoplePage /> },
          { path: 'people/new', element: <NewPersonPage /> },
          { path: 'people/import', element: <ImportPage /> },
          { path: 'people/:id', element: <PersonPage /> },
          { path: 'keys', element: <KeysPage /> },
          { path: 'keys/guests', element: <GuestsPage /> },
          { path: 'keys/reservations', element: <ReservationsPage /> },
          { path: 'keys/deliveries', element: <DeliveriesPage /> },
          { path: 'rules/levels', element: <LevelsPage /> },
          { path: 'rules/groups', element: <GroupsPage /> },
          { path: 'rules/schedules', element: <SchedulesPage /> },
          { path: 'rules/holidays', element: <HolidaysPage /> },
          { path: 'rules/areas', element: <AreasPage /> },
          { path: 'rules/doors', element: <DoorsPage /> },
          { path: 'rules/access', element: <AccessPage /> },
          { path: 'reports/muster', element: <MusterPage /> },
          { path: 'reports/events', element: <EventExportPage /> },
          { path: 'reports/attendance', element: <AttendancePage /> },
          { path: 'reports/occupancy', element: <OccupancyPage /> },
          { path: 'reports/my-number', element: <ZoneAccessPage /> },
          { path: 'reports/incident', element: <IncidentPage /> },
          { path: 'reports/inventory', element: <InventoryPage /> },
          { path: 'reports/access-review', element: <AccessReviewPage /> },
          { path: 'admin/controllers', element: <ControllersPage /> },
          { path: 'admin/operators', element: <OperatorsPage /> },
          { path: 'admin/tokens', element: <TokensPage /> },
          { path: 'admin/audit', element: <AuditPage /> },
          { path: 'account', element: <AccountPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
