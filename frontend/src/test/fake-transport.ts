import { Listeners, TopicHandlers } from '@/lib/realtime/listeners';
import type {
  ConnectionStatus,
  EventHandler,
  RealtimeEvent,
  RealtimeTransport,
} from '@/lib/realtime/types';

/** A transport the test drives: `emit(topic, event)` delivers as the server would. */
export class FakeTransport implements RealtimeTransport {
  readonly handlers = new TopicHandlers<EventHandler>();
  readonly status = new Listeners<ConnectionStatus>();
  readonly resync = new Listeners<void>();
  tokens: string[] = [];

  subscribe(topic: string, onEvent: EventHandler): () => void {
    const entry = this.handlers.add(topic, onEvent);
    return () => {
      entry.remove();
    };
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    listener('open');
    return this.status.add(listener);
  }

  onResync(listener: () => void): () => void {
    return this.resync.add(listener);
  }

  setToken(token: string): void {
    this.tokens.push(token);
  }

  close(): void {}

  topics(): string[] {
    return this.handlers.names();
  }

  emit(topic: string, event: RealtimeEvent): void {
    for (const handler of this.handlers.handlers(topic)) handler(event);
  }
}
