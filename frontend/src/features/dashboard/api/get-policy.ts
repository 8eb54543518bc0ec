import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';

export type TenantPolicy = Schemas['TenantPolicyOut'];

export const policyKey = ['tenant', 'policy'] as const;

export const policyQueryOptions = () =>
  queryOptions({
    queryKey: policyKey,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tenant/policy', { signal })),
    staleTime: 5 * 60_000,
  });

export const useTenantPolicy = () => useQuery(policyQueryOptions());
