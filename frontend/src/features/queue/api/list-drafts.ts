import {
  type InfiniteData,
  infiniteQueryOptions,
  type QueryClient,
  useInfiniteQuery,
} from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';
import type { Category, Draft, Priority } from '../lib/labels';

export type DraftPage = Schemas['DraftPage'];
export interface QueueFilters {
  category?: Category;
  priority?: Priority;
}

const PAGE_SIZE = 50;

export const draftKeys = {
  all: ['drafts'] as const,
  lists: () => ['drafts', 'list'] as const,
  list: (filters: QueueFilters) => ['drafts', 'list', filters] as const,
  detail: (id: string) => ['drafts', 'detail', id] as const,
};

export const draftsQueryOptions = (filters: QueueFilters) =>
  infiniteQueryOptions({
    queryKey: draftKeys.list(filters),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET('/api/v1/drafts', {
          params: {
            query: {
              status: 'pending_review',
              category: filters.category,
              priority: filters.priority,
              cursor: pageParam ?? undefined,
              limit: PAGE_SIZE,
            },
          },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

export const useDrafts = (filters: QueueFilters) => useInfiniteQuery(draftsQueryOptions(filters));

// -- the server's order, so live inserts land where a refetch would put them -----------------

const urgency = { urgent: 0, high: 1, normal: 2 } as const;

/** Safety first, then urgency, then age (oldest first), then id: as `GET /drafts` orders. */
export function compareDrafts(a: Draft, b: Draft): number {
  const safety =
    (a.category === 'safety_compliance' ? 0 : 1) - (b.category === 'safety_compliance' ? 0 : 1);
  if (safety !== 0) return safety;
  const urgent = urgency[a.priority] - urgency[b.priority];
  if (urgent !== 0) return urgent;
  const age = Date.parse(a.created_at) - Date.parse(b.created_at);
  if (age !== 0) return age;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const matches = (draft: Draft, filters: QueueFilters) =>
  draft.status === 'pending_review' &&
  (filters.category === undefined || draft.category === filters.category) &&
  (filters.priority === undefined || draft.priority === filters.priority);

type Data = InfiniteData<DraftPage, string | null>;

function without(data: Data, id: string): Data {
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.filter((item) => item.id !== id),
    })),
  };
}

/** Insert in order; an item sorting after the last loaded one waits for its page. */
function withInserted(data: Data, draft: Draft): Data {
  const pages = data.pages.map((page) => ({ ...page, items: [...page.items] }));
  if (pages.length === 0) return data;
  const target =
    pages.find((page) => {
      const last = page.items.at(-1);
      return last !== undefined && compareDrafts(draft, last) < 0;
    }) ?? (pages.at(-1)?.next_cursor ? undefined : pages.at(-1));
  if (target === undefined) return data;
  const at = target.items.findIndex((item) => compareDrafts(draft, item) < 0);
  target.items.splice(at === -1 ? target.items.length : at, 0, draft);
  return { ...data, pages };
}

/** A `draft.created` or `draft.updated` event applied to every cached queue list. */
export function applyDraftToLists(queryClient: QueryClient, incoming: Draft): void {
  for (const [key, data] of queryClient.getQueriesData<Data>({ queryKey: draftKeys.lists() })) {
    if (data === undefined) continue;
    // updates carry no question: keep the one the list already has
    const known = data.pages.flatMap((page) => page.items).find((item) => item.id === incoming.id);
    const draft = { ...incoming, question: incoming.question ?? known?.question ?? null };
    const filters = (key[2] ?? {}) as QueueFilters;
    const rest = without(data, draft.id);
    queryClient.setQueryData<Data>(key, matches(draft, filters) ? withInserted(rest, draft) : rest);
  }
}

export function removeDraftFromLists(queryClient: QueryClient, id: string): void {
  for (const [key, data] of queryClient.getQueriesData<Data>({ queryKey: draftKeys.lists() })) {
    if (data !== undefined) queryClient.setQueryData<Data>(key, without(data, id));
  }
}
