export function ConversationTimeline({ conversationId }: { conversationId: string }) {
  return <p>Timeline {conversationId}</p>;
}
