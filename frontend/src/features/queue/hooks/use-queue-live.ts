import { useQueryClient } from '@tanstack/react-query';
import { useRealtimeTopic, useResync } from '@/lib/realtime/react';
import { patchDraftDetail } from '../api/get-draft';
import { applyDraftToLists, draftKeys } from '../api/list-drafts';

/** New drafts slot into the cached queue in server order; decided ones leave it. */
export function useQueueLive(tenantId: string | undefined): void {
  const queryClient = useQueryClient();
  useRealtimeTopic(tenantId ? `tenant:${tenantId}:queue` : null, (event) => {
    if (event.type !== 'draft.created' && event.type !== 'draft.updated') return;
    applyDraftToLists(queryClient, event.draft);
    patchDraftDetail(queryClient, event.draft);
  });
  // events may have been missed while offline
  useResync(() => void queryClient.invalidateQueries({ queryKey: draftKeys.all }));
}
