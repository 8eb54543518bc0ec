import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';

export type ThresholdAdvice = Schemas['ThresholdAdvice'];
export type ThresholdOption = Schemas['ThresholdOption'];

export const adviceKeys = {
  all: ['analytics', 'threshold-advice'] as const,
  window: (days: number) => ['analytics', 'threshold-advice', days] as const,
};

export const thresholdAdviceQueryOptions = (windowDays: number) =>
  queryOptions({
    queryKey: adviceKeys.window(windowDays),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/analytics/threshold-advice', {
          params: { query: { window_days: windowDays } },
          signal,
        }),
      ),
    staleTime: 60_000,
  });

export const useThresholdAdvice = (windowDays: number) =>
  useQuery({ ...thresholdAdviceQueryOptions(windowDays), placeholderData: (previous) => previous });
