import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { claimDraft, releaseDraft } from '../api/claim-draft';
import { type DraftDetail, patchDraftDetail } from '../api/get-draft';
import { applyDraftToLists, draftKeys } from '../api/list-drafts';
import type { Draft } from '../lib/labels';

export type ClaimState =
  | { kind: 'claiming' }
  | { kind: 'mine'; until: string | null }
  | { kind: 'taken'; until: string | null }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string };

const RENEW_BEFORE_MS = 60_000;

const extra = (error: ApiError, name: string): string | null => {
  const value = (error.problem as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value : null;
};

/**
 * Claim the draft while it is open: claim on open, renew before the lock runs out, release when
 * leaving. Someone else's claim makes the review read-only until they let go.
 */
export function useDraftClaim(draft: Draft | undefined): ClaimState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ClaimState>({ kind: 'claiming' });
  const held = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const alive = useRef(true);
  const id = draft?.id;
  const pending = draft?.status === 'pending_review';

  const store = useCallback(
    (next: Draft) => {
      patchDraftDetail(queryClient, next);
      applyDraftToLists(queryClient, next);
    },
    [queryClient],
  );

  const schedule = useCallback((run: () => void, inMs: number) => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(run, Math.max(1_000, inMs));
  }, []);

  const attempt = useCallback(async () => {
    if (id === undefined) return;
    try {
      const claimed = await claimDraft(id);
      held.current = true;
      if (!alive.current) return;
      store(claimed);
      setState({ kind: 'mine', until: claimed.claim_expires_at ?? null });
      if (claimed.claim_expires_at) {
        const left = Date.parse(claimed.claim_expires_at) - Date.now();
        schedule(() => void attempt(), left - RENEW_BEFORE_MS);
      }
    } catch (error) {
      if (!alive.current) return;
      if (error instanceof ApiError && error.code === 'draft_claimed') {
        const until = extra(error, 'claim_expires_at');
        setState({ kind: 'taken', until });
        // try again once their lock has run out
        if (until) schedule(() => void attempt(), Date.parse(until) - Date.now() + 1_000);
      } else if (error instanceof ApiError && error.code === 'draft_decided') {
        held.current = false;
        setState({ kind: 'closed' });
        void queryClient.invalidateQueries({ queryKey: draftKeys.detail(id) });
      } else {
        setState({
          kind: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }, [id, queryClient, schedule, store]);

  useEffect(() => {
    if (id === undefined || !pending) return;
    alive.current = true;
    setState({ kind: 'claiming' });
    void attempt();
    const letGo = () => {
      if (!held.current) return;
      held.current = false;
      // decided in the meantime: nothing to give back
      const status = queryClient.getQueryData<DraftDetail>(draftKeys.detail(id))?.draft.status;
      if (status !== undefined && status !== 'pending_review') return;
      void releaseDraft(id).then(store, () => undefined);
    };
    window.addEventListener('pagehide', letGo);
    return () => {
      alive.current = false;
      window.removeEventListener('pagehide', letGo);
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
      letGo();
    };
  }, [id, pending, attempt, queryClient, store]);

  // a colleague let go of the draft: take it
  const freed = state.kind === 'taken' && draft !== undefined && draft.claimed_by === null;
  useEffect(() => {
    if (freed) void attempt();
  }, [freed, attempt]);

  return pending ? state : { kind: 'closed' };
}
