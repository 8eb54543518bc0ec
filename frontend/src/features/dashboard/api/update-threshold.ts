import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toaster } from '@/components/toaster';
import { api, unwrap } from '@/lib/api';
import { formatThreshold } from '../lib/format';
import { policyKey } from './get-policy';
import { adviceKeys } from './get-threshold-advice';

/** PATCH the tenant's confidence threshold; failures toast from the global handler. */
export const useUpdateThreshold = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (threshold: number) =>
      unwrap(api.PATCH('/api/v1/tenant/policy', { body: { confidence_threshold: threshold } })),
    onSuccess: (policy) => {
      queryClient.setQueryData(policyKey, policy);
      void queryClient.invalidateQueries({ queryKey: adviceKeys.all });
      const value = formatThreshold(policy.confidence_threshold);
      toaster.create({
        type: 'success',
        title: `Confidence threshold set to ${value}`,
        description: `Replies scoring ${value} or more are now sent without review. Safety messages are always reviewed.`,
        closable: true,
      });
    },
    meta: { errorTitle: 'Could not change the confidence threshold' },
  });
};
