import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { type User, useSession } from '@/lib/session';
import { ForbiddenPage } from './forbidden-page';

export function RequireAuth({ roles, children }: { roles: User['role'][]; children: ReactNode }) {
  const user = useSession((s) => s.user);
  const location = useLocation();
  if (user === null) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (!roles.includes(user.role)) return <ForbiddenPage role={user.role} />;
  return <>{children}</>;
}
