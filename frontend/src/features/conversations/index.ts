export { ConversationPage } from './components/conversation-page';
export { ConversationTimeline } from './components/conversation-timeline';
export { ConversationsPage } from './components/conversations-page';
