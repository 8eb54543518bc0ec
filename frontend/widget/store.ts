import type { ConnectionStatus, RealtimeEvent } from '@/lib/realtime/types';
import type { Citation, ConversationOut, ConversationStatus, MessageOut } from './api';

export type Author = MessageOut['author_kind'];
export type Delivery = 'sending' | 'sent' | 'failed';

export interface ChatMessage {
  /** Stable React key: the client id for the customer's own messages, else the server id. */
  key: string;
  id: string | null;
  clientMessageId: string | null;
  author: Author;
  text: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  delivery: Delivery;
  /** Why the last attempt failed (customer's words). */
  error?: string;
}

/** A reply being streamed, keyed by the customer message it answers. */
export interface ReplyStream {
  replyTo: string;
  chunks: Record<number, string>;
}

export interface ChatState {
  conversationId: string | null;
  status: ConversationStatus | null;
  /** An agent has taken the conversation over. */
  aiPaused: boolean;
  messages: ChatMessage[];
  /** Messages of a conversation that ended (shown above a divider). */
  earlier: ChatMessage[];
  streams: ReplyStream[];
  /** Customer message ids the AI is working on. */
  typing: string[];
  connection: ConnectionStatus;
  open: boolean;
  unread: number;
  history: 'idle' | 'loading' | 'ready' | 'error';
  historyError: string | null;
}

export const initialState: ChatState = {
  conversationId: null,
  status: null,
  aiPaused: false,
  messages: [],
  earlier: [],
  streams: [],
  typing: [],
  connection: 'idle',
  open: false,
  unread: 0,
  history: 'idle',
  historyError: null,
};

export type Action =
  | { type: 'conversation'; conversation: Pick<ConversationOut, 'id' | 'status' | 'ai_paused'> }
  | { type: 'archive' }
  | { type: 'forget' }
  | { type: 'history-loading' }
  | { type: 'history-failed'; error: string }
  | { type: 'history'; conversationId: string; items: MessageOut[] }
  | { type: 'optimistic'; message: ChatMessage }
  | { type: 'sending'; key: string }
  | { type: 'sent'; key: string; message: MessageOut }
  | { type: 'failed'; key: string; error: string }
  | { type: 'event'; event: RealtimeEvent }
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'open'; open: boolean };

export const CLOSED: readonly ConversationStatus[] = ['resolved', 'expired'];
export const isClosed = (status: ConversationStatus | null) =>
  status !== null && CLOSED.includes(status);

export function fromServer(message: MessageOut, key?: string): ChatMessage {
  return {
    key: key ?? message.client_message_id ?? message.id,
    id: message.id,
    clientMessageId: message.client_message_id,
    author: message.author_kind,
    text: message.text,
    metadata: message.metadata ?? {},
    createdAt: message.created_at,
    delivery: 'sent',
  };
}

const inReplyTo = (message: { metadata?: Record<string, unknown> }): string | null => {
  const value = message.metadata?.in_reply_to;
  return typeof value === 'string' ? value : null;
};

/** The AI's or an agent's final answer to a customer message (ends its stream). */
const isAnswer = (message: MessageOut | ChatMessage): boolean => {
  const author = 'author_kind' in message ? message.author_kind : message.author;
  return author === 'ai' || author === 'agent';
};

const sameMessage = (local: ChatMessage, server: MessageOut) =>
  local.id === server.id ||
  (server.client_message_id !== null && local.clientMessageId === server.client_message_id);

/** The text streamed so far: pieces in `seq` order, up to the first one still missing. */
export function streamText(stream: ReplyStream): string {
  let text = '';
  for (let seq = 0; stream.chunks[seq] !== undefined; seq += 1) text += stream.chunks[seq];
  return text;
}

function withoutReplyTo(state: ChatState, replyTo: string | null): Partial<ChatState> {
  if (replyTo === null) return {};
  return {
    streams: state.streams.filter((s) => s.replyTo !== replyTo),
    typing: state.typing.filter((id) => id !== replyTo),
  };
}

function receive(state: ChatState, message: MessageOut): ChatState {
  if (message.visibility !== 'public') return state; // staff notes never reach the customer
  if (message.conversation_id !== state.conversationId) return state;
  const index = state.messages.findIndex((m) => sameMessage(m, message));
  const ended = isAnswer(message) ? withoutReplyTo(state, inReplyTo(message)) : {};
  if (index >= 0) {
    const messages = [...state.messages];
    messages[index] = fromServer(message, messages[index].key);
    return { ...state, ...ended, messages };
  }
  const fresh = message.author_kind !== 'customer' && !state.open;
  return {
    ...state,
    ...ended,
    messages: [...state.messages, fromServer(message)],
    unread: fresh ? state.unread + 1 : state.unread,
  };
}

function applyEvent(state: ChatState, event: RealtimeEvent): ChatState {
  switch (event.type) {
    case 'message.created':
      return receive(state, event.message);
    case 'ai.typing': {
      if (event.conversation_id !== state.conversationId) return state;
      const others = state.typing.filter((id) => id !== event.message_id);
      return { ...state, typing: event.typing ? [...others, event.message_id] : others };
    }
    case 'ai.reply.delta': {
      if (event.conversation_id !== state.conversationId) return state;
      // a late piece after the final answer arrived: nothing left to stream
      if (state.messages.some((m) => isAnswer(m) && inReplyTo(m) === event.message_id)) {
        return state;
      }
      const current = state.streams.find((s) => s.replyTo === event.message_id);
      const stream: ReplyStream = {
        replyTo: event.message_id,
        chunks: { ...current?.chunks, [event.seq]: event.delta },
      };
      return {
        ...state,
        streams: current
          ? state.streams.map((s) => (s === current ? stream : s))
          : [...state.streams, stream],
      };
    }
    case 'ai.reply.withdrawn':
      if (event.conversation_id !== state.conversationId) return state;
      return { ...state, streams: state.streams.filter((s) => s.replyTo !== event.message_id) };
    case 'conversation.updated': {
      const { conversation } = event;
      if (conversation.id !== state.conversationId) return state;
      const closed = isClosed(conversation.status);
      return {
        ...state,
        status: conversation.status,
        aiPaused: conversation.ai_paused ?? false,
        ...(closed ? { streams: [], typing: [] } : {}),
      };
    }
    default:
      return state;
  }
}

/** History from the server is the truth; the customer's unsent messages stay at the end. */
function mergeHistory(state: ChatState, items: MessageOut[]): ChatState {
  const visible = items.filter((m) => m.visibility === 'public');
  const merged = visible.map((server) => {
    const local = state.messages.find((m) => sameMessage(m, server));
    return fromServer(server, local?.key);
  });
  const unsent = state.messages.filter(
    (local) => local.delivery !== 'sent' && !visible.some((server) => sameMessage(local, server)),
  );
  const answered = new Set(visible.filter(isAnswer).map(inReplyTo));
  return {
    ...state,
    messages: [...merged, ...unsent],
    streams: state.streams.filter((s) => !answered.has(s.replyTo)),
    typing: state.typing.filter((id) => !answered.has(id)),
    history: 'ready',
    historyError: null,
  };
}

export function reducer(state: ChatState, action: Action): ChatState {
  switch (action.type) {
    case 'conversation':
      return {
        ...state,
        conversationId: action.conversation.id,
        status: action.conversation.status,
        aiPaused: action.conversation.ai_paused ?? false,
      };
    case 'archive': {
      // the conversation ended: its messages move above a divider; unsent ones go on
      const sent = state.messages.filter((m) => m.delivery === 'sent');
      return {
        ...state,
        conversationId: null,
        status: null,
        aiPaused: false,
        earlier: [...state.earlier, ...sent],
        messages: state.messages.filter((m) => m.delivery !== 'sent'),
        streams: [],
        typing: [],
        history: 'idle',
        historyError: null,
      };
    }
    case 'forget':
      // a new session: the old conversation can no longer be read; unsent ones go on
      return {
        ...state,
        conversationId: null,
        status: null,
        aiPaused: false,
        messages: state.messages.filter((m) => m.delivery !== 'sent'),
        earlier: [],
        streams: [],
        typing: [],
        history: 'idle',
        historyError: null,
      };
    case 'history-loading':
      return { ...state, history: 'loading', historyError: null };
    case 'history-failed':
      return { ...state, history: 'error', historyError: action.error };
    case 'history':
      if (action.conversationId !== state.conversationId) return state;
      return mergeHistory(state, action.items);
    case 'optimistic':
      return { ...state, messages: [...state.messages, action.message] };
    case 'sending':
      return {
        ...state,
        messages: state.messages.map((m) =>
          m.key === action.key ? { ...m, delivery: 'sending', error: undefined } : m,
        ),
      };
    case 'sent': {
      const local = state.messages.find((m) => m.key === action.key);
      if (local === undefined) return state;
      // the realtime echo may have come first: drop it, keep the bubble where it was
      const messages = state.messages
        .filter((m) => m.key === action.key || m.id !== action.message.id)
        .map((m) => (m.key === action.key ? fromServer(action.message, m.key) : m));
      return { ...state, messages };
    }
    case 'failed':
      return {
        ...state,
        messages: state.messages.map((m) =>
          m.key === action.key ? { ...m, delivery: 'failed', error: action.error } : m,
        ),
      };
    case 'event':
      return applyEvent(state, action.event);
    case 'connection':
      return { ...state, connection: action.status };
    case 'open':
      return { ...state, open: action.open, unread: action.open ? 0 : state.unread };
    default:
      return state;
  }
}

export const citationsOf = (message: ChatMessage): Citation[] => {
  const value = message.metadata.citations;
  if (!Array.isArray(value)) return [];
  return value.filter(
    (c): c is Citation =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as Citation).number === 'number' &&
      typeof (c as Citation).title === 'string',
  );
};
