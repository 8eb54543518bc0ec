import { Listeners, TopicHandlers } from './listeners';
import type {
  ConnectionStatus,
  EventHandler,
  RealtimeEvent,
  RealtimeTransport,
  TokenSource,
} from './types';

/** The part of a Supabase channel this transport uses (supabase-js RealtimeChannel). */
export interface SupabaseChannelLike {
  on(
    type: 'broadcast',
    filter: { event: string },
    callback: (message: { event: string; payload?: unknown }) => void,
  ): SupabaseChannelLike;
  subscribe(callback?: (status: string, error?: Error) => void): SupabaseChannelLike;
}

/** The part of a Supabase client this transport uses (supabase-js SupabaseClient). */
export interface SupabaseClientLike {
  channel(name: string, options?: { config?: { private?: boolean } }): SupabaseChannelLike;
  removeChannel(channel: SupabaseChannelLike): Promise<unknown>;
  realtime: { setAuth(token?: string | null): unknown };
}

/**
 * Supabase Realtime: one private broadcast channel per topic, on the client's one socket. The
 * database publishes each event with `realtime.send(event, event.type, topic, true)` (migration
 * 0005), and Supabase's RLS on `realtime.messages` decides who may join a topic. Events for
 * staff only travel on `staff:<conversation topic>`, which staff clients join as well.
 */
export class SupabaseTransport implements RealtimeTransport {
  private readonly handlers = new TopicHandlers<EventHandler>();
  private readonly channels = new Map<string, SupabaseChannelLike[]>();
  private readonly channelStatus = new Map<string, string>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private readonly resyncListeners = new Listeners<void>();
  private status: ConnectionStatus = 'idle';
  private authorised: Promise<void> | null = null;

  constructor(
    private readonly client: SupabaseClientLike,
    private readonly getToken: TokenSource,
    private readonly options: { staff?: boolean } = {},
  ) {}

  subscribe(topic: string, onEvent: EventHandler): () => void {
    const entry = this.handlers.add(topic, onEvent);
    if (entry.first) void this.join(topic);
    return () => {
      if (!entry.remove().last) return;
      for (const channel of this.channels.get(topic) ?? []) void this.client.removeChannel(channel);
      this.channels.delete(topic);
      for (const name of this.channelNames(topic)) this.channelStatus.delete(name);
      this.updateStatus();
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
    void this.client.realtime.setAuth(token);
  }

  close(): void {
    for (const channels of this.channels.values()) {
      for (const channel of channels) void this.client.removeChannel(channel);
    }
    this.channels.clear();
    this.channelStatus.clear();
    this.status = 'closed';
    this.statusListeners.emit('closed');
  }

  private authorise(): Promise<void> {
    this.authorised ??= Promise.resolve(this.getToken()).then(async (token) => {
      if (token) await this.client.realtime.setAuth(token);
    });
    return this.authorised;
  }

  private channelNames(topic: string): string[] {
    return this.options.staff && topic.startsWith('conversation:')
      ? [topic, `staff:${topic}`]
      : [topic];
  }

  private async join(topic: string): Promise<void> {
    await this.authorise();
    if (this.handlers.handlers(topic).length === 0) return;
    const joined: SupabaseChannelLike[] = [];
    this.channels.set(topic, joined);
    for (const name of this.channelNames(topic)) {
      const channel = this.client
        .channel(name, { config: { private: true } })
        .on('broadcast', { event: '*' }, (message) => {
          const event = message.payload as RealtimeEvent | undefined;
          if (event === undefined || typeof event !== 'object') return;
          for (const handler of this.handlers.handlers(topic)) {
            try {
              handler(event);
            } catch (error) {
              console.error('realtime handler failed', error);
            }
          }
        });
      joined.push(channel);
      this.channelStatus.set(name, 'JOINING');
      channel.subscribe((status) => {
        if (this.channels.get(topic) !== joined) return;
        const before = this.channelStatus.get(name);
        this.channelStatus.set(name, status);
        // supabase-js rejoins by itself; a channel that comes back may have missed events
        if (status === 'SUBSCRIBED' && before !== undefined && before !== 'JOINING') {
          this.resyncListeners.emit();
        }
        this.updateStatus();
      });
    }
    this.updateStatus();
  }

  private updateStatus(): void {
    const states = [...this.channelStatus.values()];
    let next: ConnectionStatus;
    if (states.length === 0) next = this.status === 'idle' ? 'idle' : 'open';
    else if (states.every((s) => s === 'SUBSCRIBED')) next = 'open';
    else if (states.some((s) => s === 'CHANNEL_ERROR' || s === 'TIMED_OUT' || s === 'CLOSED'))
      next = 'reconnecting';
    else next = this.status === 'open' ? 'open' : 'connecting';
    if (next === this.status) return;
    this.status = next;
    this.statusListeners.emit(next);
  }
}
