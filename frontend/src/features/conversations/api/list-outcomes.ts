import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { conversationKeys } from './keys';

export const outcomesQueryOptions = (conversationId: string) =>
  queryOptions({
    queryKey: conversationKeys.outcomes(conversationId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/conversations/{conversation_id}/outcomes', {
          params: { path: { conversation_id: conversationId } },
          signal,
        }),
      ),
  });

export const useOutcomes = (conversationId: string, enabled: boolean) =>
  useQuery({ ...outcomesQueryOptions(conversationId), enabled });
