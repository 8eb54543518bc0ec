export function ConversationPage({ conversationId }: { conversationId: string }) {
  return <p>Conversation {conversationId}</p>;
}
