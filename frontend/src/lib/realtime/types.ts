import type { components } from '@contract/openapi';

export type RealtimeEvent = components['schemas']['RealtimeEvent'];
export type ServerFrame = components['schemas']['ServerFrame'];
export type ClientFrame = components['schemas']['ClientFrame'];
export type EventOf<T extends RealtimeEvent['type']> = Extract<RealtimeEvent, { type: T }>;

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export type EventHandler = (event: RealtimeEvent) => void;

/** One connection per tab, whatever carries it (the backend's WebSocket or Supabase Realtime). */
export interface RealtimeTransport {
  /** Follow a topic; the returned function stops following it. Topics are reference counted. */
  subscribe(topic: string, onEvent: EventHandler): () => void;
  /** Connection state changes (for the UI's connection badge). */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Events may have been missed (a reconnect, or the server said so): refetch what is shown. */
  onResync(listener: () => void): () => void;
  /** A fresh access token, handed to the open connection before the old one expires. */
  setToken(token: string): void;
  close(): void;
}

export type TokenSource = () => string | null | Promise<string | null>;
