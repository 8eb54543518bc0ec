import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toaster } from '@/components/toaster';
import { api, unwrap } from '@/lib/api';
import { applyConversation } from './list-conversations';

export type ControlAction = 'takeover' | 'handback' | 'resolve';

const CALL = {
  takeover: (id: string) =>
    api.POST('/api/v1/conversations/{conversation_id}/takeover', {
      params: { path: { conversation_id: id } },
    }),
  handback: (id: string) =>
    api.POST('/api/v1/conversations/{conversation_id}/handback', {
      params: { path: { conversation_id: id } },
    }),
  resolve: (id: string) =>
    api.POST('/api/v1/conversations/{conversation_id}/resolve', {
      params: { path: { conversation_id: id } },
    }),
};

const DONE: Record<ControlAction, string> = {
  takeover: 'You have the conversation: the AI only suggests drafts now.',
  handback: 'The AI answers this conversation again.',
  resolve: 'Conversation resolved.',
};

const FAILED: Record<ControlAction, string> = {
  takeover: 'Could not take the conversation over',
  handback: 'Could not hand the conversation back to the AI',
  resolve: 'Could not resolve the conversation',
};

/** Take over, hand back to the AI, resolve: the header follows the server's answer. */
export function useControl(conversationId: string, action: ControlAction) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(CALL[action](conversationId)),
    onSuccess: (conversation) => {
      applyConversation(queryClient, conversation);
      toaster.create({ type: 'success', title: DONE[action] });
    },
    meta: { errorTitle: FAILED[action] },
  });
}
