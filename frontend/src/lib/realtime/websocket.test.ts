import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealtimeEvent } from './types';
import { WebSocketTransport } from './websocket';

/** A WebSocket the test drives: `open()`, `serverSends(frame)`, `drop(code)`. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readonly OPEN = 1;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(data: string) {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  open() {
    this.readyState = 1;
    this.onopen?.();
  }

  serverSends(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const typing = (typingNow: boolean): RealtimeEvent => ({
  type: 'ai.typing',
  conversation_id: 'c1',
  message_id: 'm1',
  typing: typingNow,
});

const latest = () => FakeSocket.instances[FakeSocket.instances.length - 1];
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('WebSocketTransport', () => {
  let tokens: string[];
  let transport: WebSocketTransport;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.instances = [];
    tokens = ['token-1', 'token-2', 'token-3'];
    transport = new WebSocketTransport({
      url: 'ws://api.test/api/v1/realtime',
      getToken: () => tokens.shift() ?? null,
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      minDelayMs: 100,
      maxDelayMs: 1000,
      silenceMs: 60_000,
    });
  });

  afterEach(() => {
    transport.close();
    vi.useRealTimers();
  });

  it('connects with the token and subscribes once per topic', async () => {
    const first = vi.fn();
    const second = vi.fn();
    transport.subscribe('conversation:c1', first);
    transport.subscribe('conversation:c1', second);
    await flush();
    expect(latest().url).toBe('ws://api.test/api/v1/realtime?access_token=token-1');
    latest().open();
    expect(latest().sent.filter((f) => f.type === 'subscribe')).toEqual([
      { type: 'subscribe', topic: 'conversation:c1', ref: expect.any(String) },
    ]);
    latest().serverSends({ type: 'event', topic: 'conversation:c1', event: typing(true) });
    expect(first).toHaveBeenCalledWith(typing(true));
    expect(second).toHaveBeenCalledWith(typing(true));
  });

  it('delivers events only to the topic they were published on', async () => {
    const mine = vi.fn();
    transport.subscribe('conversation:c1', mine);
    await flush();
    latest().open();
    latest().serverSends({ type: 'event', topic: 'conversation:c2', event: typing(true) });
    latest().serverSends({ type: 'heartbeat' });
    expect(mine).not.toHaveBeenCalled();
  });

  it('unsubscribes when the last handler leaves', async () => {
    const stopA = transport.subscribe('tenant:t:queue', vi.fn());
    const stopB = transport.subscribe('tenant:t:queue', vi.fn());
    await flush();
    latest().open();
    stopA();
    expect(latest().sent.some((f) => f.type === 'unsubscribe')).toBe(false);
    stopB();
    expect(latest().sent.filter((f) => f.type === 'unsubscribe')).toEqual([
      { type: 'unsubscribe', topic: 'tenant:t:queue', ref: expect.any(String) },
    ]);
  });

  it('reconnects after a drop with a fresh token, resubscribes and asks views to resync', async () => {
    const statuses: string[] = [];
    transport.onStatus((s) => statuses.push(s));
    const resync = vi.fn();
    transport.onResync(resync);
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    latest().open();
    expect(resync).not.toHaveBeenCalled();
    latest().drop();
    expect(statuses).toContain('reconnecting');
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(latest().url).toContain('access_token=token-2');
    latest().open();
    expect(latest().sent.map((f) => f.topic)).toEqual(['conversation:c1']);
    expect(resync).toHaveBeenCalledTimes(1);
    expect(statuses[statuses.length - 1]).toBe('open');
  });

  it('backs off between failed attempts, within the cap', async () => {
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    latest().drop();
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.instances).toHaveLength(2);
    latest().drop();
    // the next attempt waits a jittered delay up to 200 ms, never more than the cap
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(3);
  });

  it('hands a fresh token to the open socket', async () => {
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    latest().open();
    transport.setToken('fresh');
    expect(latest().sent).toContainEqual({
      type: 'auth',
      access_token: 'fresh',
      ref: expect.any(String),
    });
  });

  it('reconnects a silent (half-open) connection', async () => {
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    latest().open();
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('a server resync frame reaches the views', async () => {
    const resync = vi.fn();
    transport.onResync(resync);
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    latest().open();
    latest().serverSends({ type: 'resync' });
    expect(resync).toHaveBeenCalledTimes(1);
  });

  it('waits without a token and does not reconnect after close', async () => {
    tokens = [];
    transport.subscribe('conversation:c1', vi.fn());
    await flush();
    expect(FakeSocket.instances).toHaveLength(0);
    transport.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeSocket.instances).toHaveLength(0);
  });
});
