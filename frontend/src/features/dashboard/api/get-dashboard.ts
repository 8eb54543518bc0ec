import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';

export type Dashboard = Schemas['Dashboard'];

/** The minutes the server pushes live figures for (`dashboard.updated`). */
export const LIVE_WINDOW_MINUTES = 60;

export const dashboardKeys = {
  all: ['analytics', 'dashboard'] as const,
  window: (minutes: number) => ['analytics', 'dashboard', minutes] as const,
};

export const dashboardQueryOptions = (windowMinutes: number) =>
  queryOptions({
    queryKey: dashboardKeys.window(windowMinutes),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/analytics/dashboard', {
          params: { query: { window_minutes: windowMinutes } },
          signal,
        }),
      ),
    // live: pushes keep it fresh, no polling
    staleTime: Number.POSITIVE_INFINITY,
  });

export const useDashboard = (windowMinutes: number) =>
  useQuery({
    ...dashboardQueryOptions(windowMinutes),
    // switching windows keeps the last figures on screen until the new ones arrive
    placeholderData: (previous) => previous,
  });
