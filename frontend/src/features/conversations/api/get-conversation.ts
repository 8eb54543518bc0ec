import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { conversationKeys } from './keys';

export const conversationQueryOptions = (id: string) =>
  queryOptions({
    queryKey: conversationKeys.detail(id),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/conversations/{conversation_id}', {
          params: { path: { conversation_id: id } },
          signal,
        }),
      ),
  });

export const useConversation = (id: string) => useQuery(conversationQueryOptions(id));
