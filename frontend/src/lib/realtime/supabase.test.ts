import { describe, expect, it, vi } from 'vitest';
import { type SupabaseChannelLike, type SupabaseClientLike, SupabaseTransport } from './supabase';
import type { RealtimeEvent } from './types';

/** supabase-js faked at its channel interface: the test plays the server's part. */
class FakeChannel implements SupabaseChannelLike {
  broadcast: ((message: { event: string; payload?: unknown }) => void) | null = null;
  status: ((status: string) => void) | null = null;
  filter: { event: string } | null = null;

  constructor(
    readonly name: string,
    readonly options: unknown,
  ) {}

  on(_type: 'broadcast', filter: { event: string }, callback: FakeChannel['broadcast']) {
    this.filter = filter;
    this.broadcast = callback;
    return this;
  }

  subscribe(callback?: (status: string) => void) {
    this.status = callback ?? null;
    return this;
  }
}

class FakeClient implements SupabaseClientLike {
  channels: FakeChannel[] = [];
  removed: FakeChannel[] = [];
  auth: (string | null | undefined)[] = [];
  realtime = { setAuth: (token?: string | null) => void this.auth.push(token) };

  channel(name: string, options?: unknown) {
    const channel = new FakeChannel(name, options);
    this.channels.push(channel);
    return channel;
  }

  async removeChannel(channel: SupabaseChannelLike) {
    this.removed.push(channel as FakeChannel);
    return 'ok';
  }
}

const created: RealtimeEvent = {
  type: 'ai.typing',
  conversation_id: 'c1',
  message_id: 'm1',
  typing: true,
};
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SupabaseTransport', () => {
  it('joins one private channel per topic with the access token and delivers broadcasts', async () => {
    const client = new FakeClient();
    const transport = new SupabaseTransport(client, () => 'jwt-1');
    const a = vi.fn();
    const b = vi.fn();
    transport.subscribe('conversation:c1', a);
    transport.subscribe('conversation:c1', b);
    await flush();
    expect(client.auth).toEqual(['jwt-1']);
    expect(client.channels).toHaveLength(1);
    const [channel] = client.channels;
    expect(channel.name).toBe('conversation:c1');
    expect(channel.options).toEqual({ config: { private: true } });
    expect(channel.filter).toEqual({ event: '*' });
    channel.broadcast?.({ event: 'ai.typing', payload: created });
    expect(a).toHaveBeenCalledWith(created);
    expect(b).toHaveBeenCalledWith(created);
  });

  it('reports status from the channels and resyncs when a channel comes back', async () => {
    const client = new FakeClient();
    const transport = new SupabaseTransport(client, () => 'jwt-1');
    const statuses: string[] = [];
    transport.onStatus((s) => statuses.push(s));
    const resync = vi.fn();
    transport.onResync(resync);
    transport.subscribe('tenant:t:queue', vi.fn());
    await flush();
    const [channel] = client.channels;
    channel.status?.('SUBSCRIBED');
    expect(statuses[statuses.length - 1]).toBe('open');
    expect(resync).not.toHaveBeenCalled();
    channel.status?.('CHANNEL_ERROR');
    expect(statuses[statuses.length - 1]).toBe('reconnecting');
    channel.status?.('SUBSCRIBED');
    expect(statuses[statuses.length - 1]).toBe('open');
    expect(resync).toHaveBeenCalledTimes(1);
  });

  it('leaves the channel when the last handler unsubscribes, and passes fresh tokens on', async () => {
    const client = new FakeClient();
    const transport = new SupabaseTransport(client, () => 'jwt-1');
    const stopA = transport.subscribe('tenant:t:dashboard', vi.fn());
    const stopB = transport.subscribe('tenant:t:dashboard', vi.fn());
    await flush();
    stopA();
    expect(client.removed).toHaveLength(0);
    stopB();
    expect(client.removed).toEqual(client.channels);
    transport.setToken('jwt-2');
    expect(client.auth).toEqual(['jwt-1', 'jwt-2']);
  });

  it('ignores broadcasts without an event payload', async () => {
    const client = new FakeClient();
    const transport = new SupabaseTransport(client, () => 'jwt-1');
    const handler = vi.fn();
    transport.subscribe('conversation:c1', handler);
    await flush();
    client.channels[0].broadcast?.({ event: 'noise' });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('SupabaseTransport for staff', () => {
  it("also joins a conversation's staff twin, where internal notes travel", async () => {
    const client = new FakeClient();
    const transport = new SupabaseTransport(client, () => 'jwt-1', { staff: true });
    const handler = vi.fn();
    const stop = transport.subscribe('conversation:c1', handler);
    transport.subscribe('tenant:t:queue', vi.fn());
    await flush();
    expect(client.channels.map((c) => c.name)).toEqual([
      'conversation:c1',
      'staff:conversation:c1',
      'tenant:t:queue',
    ]);
    client.channels[1].broadcast?.({ event: 'ai.typing', payload: created });
    expect(handler).toHaveBeenCalledWith(created);
    stop();
    expect(client.removed.map((c) => c.name)).toEqual(['conversation:c1', 'staff:conversation:c1']);
  });
});
