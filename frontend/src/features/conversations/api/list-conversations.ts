import {
  type InfiniteData,
  infiniteQueryOptions,
  type QueryClient,
  useInfiniteQuery,
} from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';
import type { Conversation } from '../lib/labels';
import { type ConversationFilters, conversationKeys } from './keys';

type Page = Schemas['Page_ConversationOut_'];
type Data = InfiniteData<Page, string | null>;

export const conversationsQueryOptions = (filters: ConversationFilters) =>
  infiniteQueryOptions({
    queryKey: conversationKeys.list(filters),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET('/api/v1/conversations', {
          params: { query: { status: filters.status, cursor: pageParam ?? undefined, limit: 50 } },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

export const useConversations = (filters: ConversationFilters) =>
  useInfiniteQuery(conversationsQueryOptions(filters));

/** Most recent activity first, as the server orders. */
export function compareConversations(a: Conversation, b: Conversation): number {
  const at = Date.parse(b.last_message_at) - Date.parse(a.last_message_at);
  if (at !== 0) return at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function place(data: Data, conversation: Conversation | null, id: string): Data {
  const pages = data.pages.map((page) => ({
    ...page,
    items: page.items.filter((item) => item.id !== id),
  }));
  if (conversation === null || pages.length === 0) return { ...data, pages };
  const target =
    pages.find((page) => {
      const last = page.items.at(-1);
      return last !== undefined && compareConversations(conversation, last) < 0;
    }) ?? (pages.at(-1)?.next_cursor ? undefined : pages.at(-1));
  if (target !== undefined) {
    const at = target.items.findIndex((item) => compareConversations(conversation, item) < 0);
    target.items.splice(at === -1 ? target.items.length : at, 0, conversation);
  }
  return { ...data, pages };
}

/** A created or changed conversation, placed (or removed) in every cached list. */
export function applyConversation(queryClient: QueryClient, conversation: Conversation): void {
  queryClient.setQueryData(conversationKeys.detail(conversation.id), conversation);
  for (const [key, data] of queryClient.getQueriesData<Data>({
    queryKey: conversationKeys.lists(),
  })) {
    if (data === undefined) continue;
    const filters = (key[2] ?? {}) as ConversationFilters;
    const fits = filters.status === undefined || filters.status === conversation.status;
    queryClient.setQueryData<Data>(key, place(data, fits ? conversation : null, conversation.id));
  }
}

/** A new message moves its conversation's activity clock (and up the list). */
export function touchConversation(queryClient: QueryClient, id: string, at: string): void {
  const known =
    queryClient.getQueryData<Conversation>(conversationKeys.detail(id)) ??
    queryClient
      .getQueriesData<Data>({ queryKey: conversationKeys.lists() })
      .flatMap(([, data]) => data?.pages.flatMap((p) => p.items) ?? [])
      .find((c) => c.id === id);
  if (known === undefined || Date.parse(known.last_message_at) >= Date.parse(at)) return;
  applyConversation(queryClient, { ...known, last_message_at: at });
}
