import { type QueryClient, queryOptions, useQuery } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '@/lib/api';
import type { Draft } from '../lib/labels';
import { draftKeys } from './list-drafts';

export type DraftDetail = Schemas['DraftDetail'];
export type Outcome = Schemas['OutcomeOut'];

export const draftQueryOptions = (id: string) =>
  queryOptions({
    queryKey: draftKeys.detail(id),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/drafts/{draft_id}', { params: { path: { draft_id: id } }, signal })),
    staleTime: 5_000,
  });

export const useDraft = (id: string) => useQuery(draftQueryOptions(id));

/** Keep an open review in step with what the server said about its draft. */
export function patchDraftDetail(queryClient: QueryClient, draft: Draft): void {
  queryClient.setQueryData<DraftDetail>(draftKeys.detail(draft.id), (detail) =>
    detail === undefined ? detail : { ...detail, draft },
  );
}
