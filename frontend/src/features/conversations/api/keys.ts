import type { ConversationStatus } from '../lib/labels';

export interface ConversationFilters {
  status?: ConversationStatus;
}

export const conversationKeys = {
  all: ['conversations'] as const,
  lists: () => ['conversations', 'list'] as const,
  list: (filters: ConversationFilters) => ['conversations', 'list', filters] as const,
  detail: (id: string) => ['conversations', 'detail', id] as const,
  messages: (id: string) => ['conversations', 'messages', id] as const,
  outcomes: (id: string) => ['conversations', 'outcomes', id] as const,
};
