import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, unwrap } from '@/lib/api';
import type { Draft } from '../lib/labels';
import { patchDraftDetail } from './get-draft';
import { applyDraftToLists, draftKeys } from './list-drafts';

export type Decision =
  { action: 'approve' } | { action: 'edit'; text: string } | { action: 'reject'; reason: string };

function decide(id: string, decision: Decision): Promise<Draft> {
  const path = { draft_id: id };
  switch (decision.action) {
    case 'approve':
      return unwrap(api.POST('/api/v1/drafts/{draft_id}/approve', { params: { path } }));
    case 'edit':
      return unwrap(
        api.POST('/api/v1/drafts/{draft_id}/edit', {
          params: { path },
          body: { text: decision.text },
        }),
      );
    case 'reject':
      return unwrap(
        api.POST('/api/v1/drafts/{draft_id}/reject', {
          params: { path },
          body: { reason: decision.reason },
        }),
      );
  }
}

/** Approve, send edited or reject; the review shows conflicts itself (silent). */
export const useDecideDraft = (id: string) => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (decision: Decision) => decide(id, decision),
    onSuccess: (draft) => {
      patchDraftDetail(queryClient, draft);
      applyDraftToLists(queryClient, draft); // decided: it leaves the queue
    },
    onError: (error) => {
      // someone else decided first: show what the server holds now
      if (error instanceof ApiError && error.code === 'draft_decided') {
        void queryClient.invalidateQueries({ queryKey: draftKeys.all });
      }
    },
    meta: { silent: true },
  });
};

/**
 * "Ask AI again": the server retries only a rejected draft, so a pending one is rejected first
 * (the hint is the reason), then the AI writes a new draft that joins the queue.
 */
export const useRetryDraft = (id: string) => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ hint, rejectFirst }: { hint: string; rejectFirst: boolean }) => {
      const path = { draft_id: id };
      if (rejectFirst) {
        const rejected = await unwrap(
          api.POST('/api/v1/drafts/{draft_id}/reject', {
            params: { path },
            body: { reason: `Asked the AI to try again: ${hint}` },
          }),
        );
        patchDraftDetail(queryClient, rejected);
        applyDraftToLists(queryClient, rejected);
      }
      return unwrap(
        api.POST('/api/v1/drafts/{draft_id}/retry', { params: { path }, body: { hint } }),
      );
    },
    onSuccess: (draft) => applyDraftToLists(queryClient, draft),
    meta: { silent: true },
  });
};
