import { useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { useRealtimeTopic, useResync } from '@/lib/realtime/react';
import { useSession } from '@/lib/session';
import { dashboardKeys, LIVE_WINDOW_MINUTES } from '../api/get-dashboard';
import { policyKey } from '../api/get-policy';
import { adviceKeys } from '../api/get-threshold-advice';

/** Reviews move the advisor's figures slowly: refresh it at most this often while live. */
const ADVICE_REFRESH_MS = 30_000;

/**
 * Keeps the dashboard's figures live without polling. The server pushes `dashboard.updated`
 * with the last hour's figures: the one-hour window takes them as they are; any other window
 * refetches (a fetch already under way is reused, not restarted). After a reconnect everything
 * shown is refetched.
 */
export function useLiveDashboard(windowMinutes: number): void {
  const queryClient = useQueryClient();
  const tenantId = useSession((s) => s.user?.tenant_id ?? null);
  const lastAdviceRefresh = useRef(Date.now());

  useRealtimeTopic(tenantId === null ? null : `tenant:${tenantId}:dashboard`, (event) => {
    if (event.type !== 'dashboard.updated') return;
    const live = event.dashboard;
    if (live.window_minutes === LIVE_WINDOW_MINUTES) {
      queryClient.setQueryData(dashboardKeys.window(LIVE_WINDOW_MINUTES), live);
    }
    if (windowMinutes !== live.window_minutes) {
      void queryClient.invalidateQueries(
        { queryKey: dashboardKeys.window(windowMinutes) },
        { cancelRefetch: false },
      );
    }
    if (Date.now() - lastAdviceRefresh.current >= ADVICE_REFRESH_MS) {
      lastAdviceRefresh.current = Date.now();
      void queryClient.invalidateQueries({ queryKey: adviceKeys.all }, { cancelRefetch: false });
    }
  });

  useResync(() => {
    void queryClient.invalidateQueries({ queryKey: dashboardKeys.all });
    void queryClient.invalidateQueries({ queryKey: adviceKeys.all });
    void queryClient.invalidateQueries({ queryKey: policyKey });
  });
}
