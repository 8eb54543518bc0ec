import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { conversationKeys } from './keys';
import { appendMessage } from './list-messages';

export type ComposerMode = 'reply' | 'note';

/**
 * A public reply as the signed-in agent (`POST /conversations/{id}/messages`, staff write as
 * `agent`) or an internal note only staff see (`POST /conversations/{id}/notes`).
 */
export function useSend(conversationId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ mode, text }: { mode: ComposerMode; text: string }) => {
      const path = { conversation_id: conversationId };
      return mode === 'reply'
        ? unwrap(
            api.POST('/api/v1/conversations/{conversation_id}/messages', {
              params: { path },
              body: { text, client_message_id: crypto.randomUUID() },
            }),
          )
        : unwrap(
            api.POST('/api/v1/conversations/{conversation_id}/notes', {
              params: { path },
              body: { text },
            }),
          );
    },
    onSuccess: (message) => {
      appendMessage(queryClient, message);
      void queryClient.invalidateQueries({ queryKey: conversationKeys.detail(conversationId) });
    },
    meta: { silent: true }, // the composer shows the error and keeps the text
  });
}
