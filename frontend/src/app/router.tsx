import { lazy, Suspense } from 'react';
import { createBrowserRouter, Navigate, Outlet, useParams } from 'react-router-dom';
import { AppShell, type NavItem } from '@/components/app-shell';
import { PanelErrorBoundary } from '@/components/error-boundary';
import { PageSpinner } from '@/components/page-spinner';
import { AlertsBell } from '@/features/alerts';
import { LoginPage, RequireAuth, useLogout } from '@/features/auth';
import {
  ConversationPage,
  ConversationsPage,
  ConversationTimeline,
} from '@/features/conversations';
import { QueuePage } from '@/features/queue';
import { hasRole, useSession } from '@/lib/session';

// the dashboard's charts are the heaviest part of the console: loaded when a supervisor opens it
const DashboardPage = lazy(() =>
  import('@/features/dashboard').then((m) => ({ default: m.DashboardPage })),
);

const STAFF = ['agent', 'supervisor', 'admin'] as const;
const SUPERVISORS = ['supervisor', 'admin'] as const;

function StaffLayout() {
  const user = useSession((s) => s.user);
  const logout = useLogout();
  const nav: NavItem[] = [
    { to: '/agent', label: 'Approval queue', end: true },
    { to: '/agent/conversations', label: 'Conversations' },
  ];
  if (hasRole(user, ...SUPERVISORS)) nav.push({ to: '/supervisor', label: 'Dashboard' });
  return (
    <AppShell
      nav={nav}
      userName={user?.display_name ?? user?.email ?? ''}
      role={user?.role ?? ''}
      onSignOut={() => logout.mutate()}
      actions={user ? <AlertsBell tenantId={user.tenant_id} /> : null}
    >
      <Outlet />
    </AppShell>
  );
}

function ConversationRoute() {
  const { conversationId = '' } = useParams();
  return <ConversationPage key={conversationId} conversationId={conversationId} />;
}

// the approval queue shows a draft's conversation with the conversations feature's timeline
const history = (conversationId: string) => (
  <PanelErrorBoundary label="the conversation">
    <ConversationTimeline conversationId={conversationId} />
  </PanelErrorBoundary>
);

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: (
      <RequireAuth roles={[...STAFF]}>
        <StaffLayout />
      </RequireAuth>
    ),
    children: [
      { path: '/agent', element: <QueuePage renderHistory={history} /> },
      { path: '/agent/conversations', element: <ConversationsPage /> },
      { path: '/agent/conversations/:conversationId', element: <ConversationRoute /> },
      {
        path: '/supervisor',
        element: (
          <RequireAuth roles={[...SUPERVISORS]}>
            <Suspense fallback={<PageSpinner />}>
              <DashboardPage />
            </Suspense>
          </RequireAuth>
        ),
      },
    ],
  },
  { path: '*', element: <Navigate to="/agent" replace /> },
]);
