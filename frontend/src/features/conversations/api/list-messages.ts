import {
  type InfiniteData,
  infiniteQueryOptions,
  type QueryClient,
  useInfiniteQuery,
} from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';
import type { Message } from '../lib/labels';
import { conversationKeys } from './keys';

type Page = Schemas['Page_MessageOut_'];
type Data = InfiniteData<Page, string | null>;

export const messagesQueryOptions = (conversationId: string) =>
  infiniteQueryOptions({
    queryKey: conversationKeys.messages(conversationId),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET('/api/v1/conversations/{conversation_id}/messages', {
          params: {
            path: { conversation_id: conversationId },
            query: { cursor: pageParam ?? undefined, limit: 100 },
          },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 10_000,
  });

export const useMessages = (conversationId: string) =>
  useInfiniteQuery(messagesQueryOptions(conversationId));

/** A new message at the end (once; a later page holds it when not everything is loaded yet). */
export function appendMessage(queryClient: QueryClient, message: Message): void {
  queryClient.setQueryData<Data>(conversationKeys.messages(message.conversation_id), (data) => {
    if (data === undefined || data.pages.length === 0) return data;
    if (data.pages.some((page) => page.items.some((item) => item.id === message.id))) return data;
    const last = data.pages[data.pages.length - 1];
    if (last.next_cursor !== null) return data;
    return {
      ...data,
      pages: [...data.pages.slice(0, -1), { ...last, items: [...last.items, message] }],
    };
  });
}
