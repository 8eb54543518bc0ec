import { api, unwrap } from '@/lib/api';
import type { Draft } from '../lib/labels';

// claim and release of one draft run one after the other (a quick close and reopen must not
// let a release overtake the claim that follows it)
const chains = new Map<string, Promise<unknown>>();

function inOrder<T>(id: string, call: () => Promise<T>): Promise<T> {
  const previous = chains.get(id) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(call);
  chains.set(id, next);
  void next
    .catch(() => undefined)
    .finally(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
  return next;
}

/** Work on a draft (a lock for a few minutes; claiming again extends it). */
export const claimDraft = (id: string): Promise<Draft> =>
  inOrder(id, () =>
    unwrap(api.POST('/api/v1/drafts/{draft_id}/claim', { params: { path: { draft_id: id } } })),
  );

/** Give it back to the queue. */
export const releaseDraft = (id: string): Promise<Draft> =>
  inOrder(id, () =>
    unwrap(api.POST('/api/v1/drafts/{draft_id}/release', { params: { path: { draft_id: id } } })),
  );
