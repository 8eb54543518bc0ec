import { Listeners } from '@/lib/realtime/listeners';
import type { RealtimeTransport, TokenSource } from '@/lib/realtime/types';
import {
  type ConversationOut,
  errorText,
  isApiError,
  isAuthError,
  MAX_MESSAGE_CHARS,
  type WidgetApi,
  type WidgetConfig,
} from './api';
import { REFRESH_MARGIN_S, type WidgetSession } from './session';
import {
  type Action,
  type ChatMessage,
  type ChatState,
  initialState,
  isClosed,
  reducer,
} from './store';

export type TransportFactory = (getToken: TokenSource) => RealtimeTransport;

export type ConfigState =
  | { status: 'loading' }
  | { status: 'ready'; config: WidgetConfig }
  | { status: 'error'; error: string; missing: boolean };

export interface WidgetState extends ChatState {
  config: ConfigState;
}

/** A client id for a message: the server makes a retry with the same id idempotent. */
export function newClientId(): string {
  const c = globalThis.crypto;
  if (c !== undefined && typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c !== undefined && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const conversationGone = (error: unknown) =>
  isApiError(error, 'conversation_closed', 'conversation_not_found');

/**
 * The widget's brain, free of React: the customer's session and conversation, sending with
 * retries, realtime events and catch-up after a dropped connection. The UI reads `getState()`
 * through `subscribe` (useSyncExternalStore) and calls the actions.
 */
export class WidgetController {
  private state: WidgetState = { ...initialState, config: { status: 'loading' } };
  private readonly listeners = new Listeners<void>();
  private transport: RealtimeTransport | null = null;
  private unsubscribeTopic: (() => void) | null = null;
  private transportCleanups: (() => void)[] = [];
  private resuming: Promise<void> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly cleanups: (() => void)[] = [];
  private disposed = false;

  constructor(
    readonly tenant: string,
    readonly api: WidgetApi,
    private readonly session: WidgetSession,
    private readonly createTransport: TransportFactory,
    private readonly pageUrl: () => string = () => window.location.href,
  ) {
    this.cleanups.push(
      session.onReset(() => this.onSessionReset()),
      session.onToken((token) => {
        this.transport?.setToken(token);
        this.scheduleRefresh();
      }),
    );
  }

  // -- store -----------------------------------------------------------------------------------

  getState = (): WidgetState => this.state;

  subscribe = (listener: () => void): (() => void) => this.listeners.add(listener);

  private dispatch(action: Action): void {
    const { config, ...chat } = this.state;
    const next = reducer(chat, action);
    if (next === chat) return;
    this.state = { ...next, config };
    this.listeners.emit();
  }

  private setConfig(config: ConfigState): void {
    this.state = { ...this.state, config };
    this.listeners.emit();
  }

  // -- start -----------------------------------------------------------------------------------

  /** Branding first (the launcher waits for it), then the stored conversation, if any. */
  async start(): Promise<void> {
    await this.loadConfig();
    if (this.session.conversationId() !== null) await this.resume();
  }

  async loadConfig(): Promise<void> {
    this.setConfig({ status: 'loading' });
    try {
      const config = await this.api.config(this.tenant);
      this.setConfig({ status: 'ready', config });
    } catch (error) {
      const missing = isApiError(error, 'tenant_not_found', 'validation_failed');
      if (missing) {
        console.error(`Contact center widget: no tenant "${this.tenant}" (check data-tenant).`);
      }
      this.setConfig({ status: 'error', error: errorText(error), missing });
    }
  }

  /** Pick the stored conversation back up: its state, its history, its live events. */
  resume(): Promise<void> {
    this.resuming ??= this.load()
      .catch((error: unknown) => {
        this.dispatch({ type: 'history-failed', error: errorText(error) });
      })
      .finally(() => {
        this.resuming = null;
      });
    return this.resuming;
  }

  private async load(): Promise<void> {
    await this.session.token(); // may start a new session, which forgets the conversation
    const id = this.session.conversationId();
    if (id === null) return;
    this.dispatch({ type: 'history-loading' });
    try {
      const conversation = await this.authed((t) => this.api.conversation(t, id));
      this.follow(conversation);
    } catch (error) {
      if (!conversationGone(error)) throw error;
      // deleted (retention) or not this session's: the next message starts a new one
      this.session.setConversationId(null);
      this.dispatch({ type: 'forget' });
      return;
    }
    await this.loadHistory();
  }

  /** The whole history, merged with what is on screen (after a reload or a reconnect). */
  async loadHistory(): Promise<void> {
    const id = this.state.conversationId;
    if (id === null) return;
    try {
      const [items, conversation] = await Promise.all([
        this.authed((t) => this.api.messages(t, id)),
        this.authed((t) => this.api.conversation(t, id)),
      ]);
      this.dispatch({ type: 'conversation', conversation });
      this.dispatch({ type: 'history', conversationId: id, items });
    } catch (error) {
      this.dispatch({ type: 'history-failed', error: errorText(error) });
    }
  }

  retryHistory = (): void => {
    if (this.state.conversationId === null) void this.resume();
    else {
      this.dispatch({ type: 'history-loading' });
      void this.loadHistory();
    }
  };

  retryConfig = (): void => {
    void this.start();
  };

  // -- panel -----------------------------------------------------------------------------------

  setOpen = (open: boolean): void => {
    this.dispatch({ type: 'open', open });
  };

  // -- sending ---------------------------------------------------------------------------------

  /** Returns a reason when the text cannot be sent as it is (else null, and it is on its way). */
  send = (raw: string): string | null => {
    const text = raw.trim();
    if (text === '') return 'Write a message first.';
    if (text.length > MAX_MESSAGE_CHARS) {
      return `Messages can be at most ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters (this one has ${text.length.toLocaleString('en')}).`;
    }
    const clientId = newClientId();
    const message: ChatMessage = {
      key: clientId,
      id: null,
      clientMessageId: clientId,
      author: 'customer',
      text,
      metadata: {},
      createdAt: new Date().toISOString(),
      delivery: 'sending',
    };
    this.dispatch({ type: 'optimistic', message });
    this.enqueue(message.key);
    return null;
  };

  /** Send a failed message again, with the same client id (the server stores it once). */
  retry = (key: string): void => {
    const message = this.state.messages.find((m) => m.key === key);
    if (message === undefined || message.delivery !== 'failed') return;
    this.dispatch({ type: 'sending', key });
    this.enqueue(key);
  };

  /** One at a time, so messages reach the server in the order they were written. */
  private enqueue(key: string): void {
    this.queue = this.queue.then(() => this.deliver(key));
  }

  private async deliver(key: string, again = true): Promise<void> {
    const message = this.state.messages.find((m) => m.key === key);
    if (message === undefined || message.clientMessageId === null) return;
    try {
      const conversationId = await this.conversation();
      const stored = await this.authed((t) =>
        this.api.postMessage(t, conversationId, {
          text: message.text,
          client_message_id: message.clientMessageId as string,
        }),
      );
      this.dispatch({ type: 'sent', key, message: stored });
    } catch (error) {
      if (again && conversationGone(error)) {
        // it ended (resolved, expired) or is gone: a new conversation, and the message again
        this.endConversation();
        await this.deliver(key, false);
        return;
      }
      this.dispatch({ type: 'failed', key, error: errorText(error) });
    }
  }

  /** The current conversation's id; a new one is opened when there is none (or it ended). */
  private async conversation(): Promise<string> {
    if (this.resuming !== null) await this.resuming;
    if (this.state.conversationId === null && this.session.conversationId() !== null) {
      await this.load(); // the stored one could not be loaded yet: not a second conversation
    }
    const { conversationId, status } = this.state;
    if (conversationId !== null && !isClosed(status)) return conversationId;
    if (conversationId !== null) this.endConversation();
    const conversation = await this.authed((t) => this.api.createConversation(t, this.pageUrl()));
    this.session.setConversationId(conversation.id);
    this.follow(conversation);
    this.dispatch({ type: 'history', conversationId: conversation.id, items: [] });
    return conversation.id;
  }

  private endConversation(): void {
    this.stopFollowing();
    this.session.setConversationId(null);
    this.dispatch({ type: 'archive' });
  }

  /** A call with a fresh token; when the server refuses it, once more with a renewed one. */
  private async authed<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.session.token();
    this.scheduleRefresh();
    try {
      return await call(token);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      return call(await this.session.renew());
    }
  }

  private onSessionReset(): void {
    // the old conversation belongs to the old session: new connection, new conversation
    this.stopFollowing();
    this.closeTransport();
    this.dispatch({ type: 'forget' });
  }

  // -- realtime --------------------------------------------------------------------------------

  private follow(conversation: Pick<ConversationOut, 'id' | 'status' | 'ai_paused'>): void {
    const changed = conversation.id !== this.state.conversationId || this.unsubscribeTopic === null;
    this.dispatch({ type: 'conversation', conversation });
    if (!changed) return;
    this.stopFollowing();
    const transport = this.ensureTransport();
    this.unsubscribeTopic = transport.subscribe(`conversation:${conversation.id}`, (event) =>
      this.dispatch({ type: 'event', event }),
    );
  }

  private stopFollowing(): void {
    this.unsubscribeTopic?.();
    this.unsubscribeTopic = null;
  }

  private ensureTransport(): RealtimeTransport {
    if (this.transport !== null) return this.transport;
    const transport = this.createTransport(() => this.session.token().catch(() => null));
    this.transport = transport;
    this.transportCleanups = [
      transport.onStatus((status) => this.dispatch({ type: 'connection', status })),
      // events may have been missed while the connection was down: catch up
      transport.onResync(() => void this.loadHistory()),
    ];
    return transport;
  }

  private closeTransport(): void {
    for (const cleanup of this.transportCleanups) cleanup();
    this.transportCleanups = [];
    this.transport?.close();
    this.transport = null;
    this.dispatch({ type: 'connection', status: 'idle' });
  }

  /** Refresh a minute before the access token expires, so the live connection never lapses. */
  private scheduleRefresh(): void {
    if (this.disposed) return;
    const expiresAt = this.session.expiresAt();
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (expiresAt === null || this.transport === null) return;
    const inMs = Math.max(1_000, (expiresAt - REFRESH_MARGIN_S - Date.now() / 1000) * 1000 + 500);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.session.token().then(
        () => this.scheduleRefresh(),
        () => undefined, // offline: the connection's own reconnect asks again
      );
    }, inMs);
  }

  dispose(): void {
    this.disposed = true;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.stopFollowing();
    this.closeTransport();
    for (const cleanup of this.cleanups) cleanup();
  }
}
