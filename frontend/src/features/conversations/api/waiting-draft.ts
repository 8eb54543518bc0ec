import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { conversationKeys } from './keys';

/**
 * The draft of this conversation waiting in the approval queue, if any. The API lists drafts by
 * tenant only, so this looks through the first page of the queue (server order, 200 items).
 */
export const waitingDraftQueryOptions = (conversationId: string) =>
  queryOptions({
    queryKey: [...conversationKeys.detail(conversationId), 'waiting-draft'] as const,
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        api.GET('/api/v1/drafts', {
          params: { query: { status: 'pending_review', limit: 200 } },
          signal,
        }),
      );
      return page.items.find((d) => d.conversation_id === conversationId) ?? null;
    },
    staleTime: 5_000,
  });

export const useWaitingDraft = (conversationId: string, enabled: boolean) =>
  useQuery({ ...waitingDraftQueryOptions(conversationId), enabled });
