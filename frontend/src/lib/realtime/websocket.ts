import { Listeners, TopicHandlers } from './listeners';
import type {
  ConnectionStatus,
  EventHandler,
  RealtimeTransport,
  ServerFrame,
  TokenSource,
} from './types';

export interface WebSocketTransportOptions {
  /** ws(s)://host/api/v1/realtime */
  url: string;
  /** The current access token; called before every (re)connect, so it may refresh first. */
  getToken: TokenSource;
  /** For tests: a WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
  /** Reconnect back-off: first delay and cap, in ms (full jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** No frame at all for this long (the server sends heartbeats every 25 s): reconnect. */
  silenceMs?: number;
}

const CLOSE_TOKEN = 4001;

/**
 * The backend's WebSocket protocol (shared/realtime-events.schema.json): one socket, topics
 * subscribed by frame, reconnects with jittered back-off, and a resync after every reconnect so
 * views refetch what they may have missed while offline.
 */
export class WebSocketTransport implements RealtimeTransport {
  private readonly handlers = new TopicHandlers<EventHandler>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private readonly resyncListeners = new Listeners<void>();
  private readonly options: Required<Omit<WebSocketTransportOptions, 'WebSocketImpl'>> & {
    WebSocketImpl: typeof WebSocket;
  };
  private socket: WebSocket | null = null;
  private status: ConnectionStatus = 'idle';
  private attempts = 0;
  private everOpened = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private refs = 0;
  private connecting = false;

  constructor(options: WebSocketTransportOptions) {
    this.options = {
      minDelayMs: 500,
      maxDelayMs: 10_000,
      silenceMs: 60_000,
      ...options,
      WebSocketImpl: options.WebSocketImpl ?? WebSocket,
    };
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.reconnectNow);
    }
  }

  subscribe(topic: string, onEvent: EventHandler): () => void {
    const entry = this.handlers.add(topic, onEvent);
    if (entry.first) this.send({ type: 'subscribe', topic, ref: this.nextRef() });
    this.ensureConnected();
    return () => {
      if (entry.remove().last) this.send({ type: 'unsubscribe', topic, ref: this.nextRef() });
    };
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    listener(this.status);
    return this.statusListeners.add(listener);
  }

  onResync(listener: () => void): () => void {
    return this.resyncListeners.add(listener);
  }

  setToken(token: string): void {
    this.send({ type: 'auth', access_token: token, ref: this.nextRef() });
  }

  close(): void {
    this.closed = true;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.reconnectNow);
    this.clearTimers();
    this.socket?.close(1000);
    this.socket = null;
    this.setStatus('closed');
  }

  private nextRef(): string {
    this.refs += 1;
    return String(this.refs);
  }

  private send(frame: Record<string, unknown>): void {
    const socket = this.socket;
    if (socket !== null && socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    // otherwise the subscription is sent when the socket opens
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.statusListeners.emit(status);
  }

  private ensureConnected(): void {
    if (this.closed || this.connecting || this.socket !== null || this.retryTimer !== null) return;
    void this.connect();
  }

  private readonly reconnectNow = (): void => {
    if (this.closed || this.status === 'open') return;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempts = 0;
    if (this.socket === null && !this.connecting) void this.connect();
  };

  private async connect(): Promise<void> {
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    this.connecting = true;
    let token: string | null = null;
    try {
      token = await this.options.getToken();
    } catch {
      token = null;
    } finally {
      this.connecting = false;
    }
    if (this.closed) return;
    if (token === null) {
      this.scheduleReconnect();
      return;
    }
    const url = `${this.options.url}?access_token=${encodeURIComponent(token)}`;
    const socket = new this.options.WebSocketImpl(url);
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempts = 0;
      for (const topic of this.handlers.names()) {
        socket.send(JSON.stringify({ type: 'subscribe', topic, ref: this.nextRef() }));
      }
      const wasReconnect = this.everOpened;
      this.everOpened = true;
      this.setStatus('open');
      this.watchSilence();
      if (wasReconnect) this.resyncListeners.emit();
    };
    socket.onmessage = (message: MessageEvent) => {
      if (socket !== this.socket) return;
      this.watchSilence();
      this.dispatch(message.data);
    };
    socket.onclose = (event: CloseEvent) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.clearSilence();
      if (this.closed) return;
      // 4001: the token expired; getToken() refreshes it before the next attempt
      if (event.code === CLOSE_TOKEN) this.attempts = 0;
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect
    };
  }

  private dispatch(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'event') {
      for (const handler of this.handlers.handlers(frame.topic)) {
        try {
          handler(frame.event);
        } catch (error) {
          console.error('realtime handler failed', error);
        }
      }
    } else if (frame.type === 'resync') {
      this.resyncListeners.emit();
    } else if (frame.type === 'error' && frame.code === 'forbidden_topic') {
      console.warn(`realtime: ${frame.message} (${frame.topic ?? ''})`);
    }
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const cap = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** this.attempts);
    const delay = this.attempts === 0 ? this.options.minDelayMs : Math.random() * cap;
    this.attempts += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private watchSilence(): void {
    this.clearSilence();
    this.silenceTimer = setTimeout(() => {
      // a half-open connection: no heartbeat for too long
      this.socket?.close(4000);
    }, this.options.silenceMs);
  }

  private clearSilence(): void {
    if (this.silenceTimer !== null) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private clearTimers(): void {
    this.clearSilence();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** ws(s):// address of the realtime endpoint for an http(s) API base ('' = this page's origin). */
export const realtimeUrl = (apiBase: string): string => {
  const base = apiBase || window.location.origin;
  return `${base.replace(/^http/, 'ws')}/api/v1/realtime`;
};
