// Every page of the console, by the address the operator sees. Pages are thin views over the data
// hooks (hooks/api/*); the session gate decides whether a page or the sign-in is shown.

import { RouterProvider as AriaRouterProvider } from 'react-aria-components';
import { Navigate, Outlet, type RouteObject, useHref, useNavigate } from 'react-router';
import { SessionGate } from './components/shell/session-gate.tsx';
import { AccountPage } from './routes/account/account-page.tsx';
import { AlarmDetailPage } from './routes/alarms/alarm-detail-page.tsx';
import { AlarmsPage } from './routes/alarms/alarms-page.tsx';
import { FloorPage } from './routes/floor/floor-page.tsx';
import { NotFoundPage } from './routes/not-found-page.tsx';

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
          { path: 'alarms', element: <AlarmsPage /> },
          { path: 'alarms/:id', element: <AlarmDetailPage /> },
          { path: 'account', element: <AccountPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
