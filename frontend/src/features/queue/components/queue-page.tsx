import type { ReactNode } from 'react';

export function QueuePage(_props: { renderHistory: (conversationId: string) => ReactNode }) {
  return <p>Approval queue</p>;
}
