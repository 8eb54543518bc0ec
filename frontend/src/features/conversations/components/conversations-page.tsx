export function ConversationsPage() {
  return <p>Conversations</p>;
}
