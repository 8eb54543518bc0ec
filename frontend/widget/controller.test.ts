import { waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MockRequest, mockApi, reply } from '@/test/api-mock';
import { FakeTransport } from '@/test/fake-transport';
import { WidgetApi } from './api';
import { newClientId, WidgetController } from './controller';
import { storageKey, WidgetSession } from './session';
import {
  CONVERSATION_ID,
  conversation,
  message,
  OTHER_CONVERSATION_ID,
  tokens,
  widgetConfig,
} from './test-data';

const API = 'http://api.test';
let current: WidgetController | null = null;

function setup(storedConversation: string | null = null) {
  if (storedConversation !== null) {
    window.localStorage.setItem(
      storageKey('demo'),
      JSON.stringify({
        tokens: {
          access_token: 'kept',
          refresh_token: 'refresh-kept',
          expires_at: Date.now() / 1000 + 900,
        },
        conversationId: storedConversation,
      }),
    );
  }
  const transport = new FakeTransport();
  const api = new WidgetApi(API);
  const controller = new WidgetController(
    'demo',
    api,
    new WidgetSession('demo', api, window.localStorage),
    () => transport,
    () => 'https://shop.example/products?id=7',
  );
  current = controller;
  return { controller, transport };
}

const posted = (calls: ReturnType<typeof mockApi>['calls']) =>
  calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'));

afterEach(() => {
  current?.dispose();
  current = null;
  window.localStorage.clear();
  vi.unstubAllGlobals();
});

describe('WidgetController', () => {
  it('opens a conversation on the first message, follows it, and sends with a client id', async () => {
    const { calls } = mockApi({
      'GET /api/v1/widget/config/{tenant}': widgetConfig,
      'POST /api/v1/widget/session': reply(201, tokens({ access_token: 'cust' })),
      'POST /api/v1/conversations': reply(201, conversation()),
      'POST /api/v1/conversations/{id}/messages': ({ body }: MockRequest) =>
        reply(
          201,
          message({
            text: (body as { text: string }).text,
            client_message_id: (body as { client_message_id: string }).client_message_id,
          }),
        ),
    });
    const { controller, transport } = setup();
    await controller.start();
    expect(controller.send('  What are your opening hours?  ')).toBeNull();
    expect(controller.getState().messages[0]).toMatchObject({
      delivery: 'sending',
      text: 'What are your opening hours?',
    });
    await waitFor(() => expect(controller.getState().messages[0].delivery).toBe('sent'));

    const create = calls.find((c) => c.path === '/api/v1/conversations');
    expect(create?.body).toEqual({ metadata: { page_url: 'https://shop.example/products?id=7' } });
    expect(create?.headers.get('authorization')).toBe('Bearer cust');
    const [post] = posted(calls);
    expect(post.params.id).toBe(CONVERSATION_ID);
    expect(post.body).toMatchObject({ text: 'What are your opening hours?' });
    expect((post.body as { client_message_id: string }).client_message_id).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(transport.topics()).toEqual([`conversation:${CONVERSATION_ID}`]);
    expect(JSON.parse(window.localStorage.getItem(storageKey('demo')) ?? '{}').conversationId).toBe(
      CONVERSATION_ID,
    );
  });

  it('refuses what the server would refuse, saying why', async () => {
    const { calls } = mockApi({ 'GET /api/v1/widget/config/{tenant}': widgetConfig });
    const { controller } = setup();
    expect(controller.send('   ')).toMatch(/write a message/i);
    expect(controller.send('x'.repeat(4001))).toMatch(/at most 4,000 characters/);
    expect(calls).toHaveLength(0);
  });

  it('marks a failed message and retries it with the same client id', async () => {
    let fail = true;
    const { calls } = mockApi({
      'POST /api/v1/widget/session': reply(201, tokens()),
      'POST /api/v1/conversations': reply(201, conversation()),
      'POST /api/v1/conversations/{id}/messages': ({ body }: MockRequest) =>
        fail
          ? reply(503, { code: 'service_unavailable', detail: 'busy' })
          : reply(
              201,
              message({
                client_message_id: (body as { client_message_id: string }).client_message_id,
              }),
            ),
    });
    const { controller } = setup();
    controller.send('Hello');
    await waitFor(() => expect(controller.getState().messages[0].delivery).toBe('failed'));
    expect(controller.getState().messages[0].error).toMatch(/busy right now/);
    fail = false;
    controller.retry(controller.getState().messages[0].key);
    await waitFor(() => expect(controller.getState().messages[0].delivery).toBe('sent'));
    const [first, second] = posted(calls);
    expect(second.body).toEqual(first.body);
    expect(calls.filter((c) => c.path === '/api/v1/conversations')).toHaveLength(1);
  });

  it('starts a new conversation and sends again when the old one was closed', async () => {
    const { calls } = mockApi({
      'GET /api/v1/conversations/{id}': conversation({ id: CONVERSATION_ID }),
      'GET /api/v1/conversations/{id}/messages': {
        items: [message({ text: 'old question' })],
        next_cursor: null,
      },
      'POST /api/v1/conversations': reply(201, conversation({ id: OTHER_CONVERSATION_ID })),
      'POST /api/v1/conversations/{id}/messages': ({ params, body }: MockRequest) =>
        params.id === CONVERSATION_ID
          ? reply(409, { code: 'conversation_closed', detail: 'the conversation is resolved' })
          : reply(
              201,
              message({
                conversation_id: OTHER_CONVERSATION_ID,
                client_message_id: (body as { client_message_id: string }).client_message_id,
              }),
            ),
    });
    const { controller, transport } = setup(CONVERSATION_ID);
    await controller.resume();
    controller.send('One more thing');
    await waitFor(() => expect(controller.getState().messages[0]?.delivery).toBe('sent'));
    const [closed, resent] = posted(calls);
    expect(closed.params.id).toBe(CONVERSATION_ID);
    expect(resent.params.id).toBe(OTHER_CONVERSATION_ID);
    expect(resent.body).toEqual(closed.body);
    expect(controller.getState().earlier.map((m) => m.text)).toEqual(['old question']);
    expect(transport.topics()).toEqual([`conversation:${OTHER_CONVERSATION_ID}`]);
  });

  it('brings the history back after a reload, and catches up after a reconnect', async () => {
    let items = [message({ id: 'q1', text: 'Hours?' })];
    mockApi({
      'GET /api/v1/conversations/{id}': conversation({ status: 'pending_human' }),
      'GET /api/v1/conversations/{id}/messages': () => ({ items, next_cursor: null }),
    });
    const { controller, transport } = setup(CONVERSATION_ID);
    await controller.resume();
    expect(controller.getState().messages.map((m) => m.text)).toEqual(['Hours?']);
    expect(controller.getState().status).toBe('pending_human');
    expect(transport.topics()).toEqual([`conversation:${CONVERSATION_ID}`]);

    items = [...items, message({ id: 'a1', author_kind: 'agent', text: 'Nine to six.' })];
    transport.resync.emit();
    await waitFor(() =>
      expect(controller.getState().messages.map((m) => m.text)).toEqual(['Hours?', 'Nine to six.']),
    );
  });

  it('reads every page of a long history', async () => {
    const { calls } = mockApi({
      'GET /api/v1/conversations/{id}': conversation(),
      'GET /api/v1/conversations/{id}/messages': ({ query }: MockRequest) =>
        query.get('cursor') === null
          ? { items: [message({ id: 'p1', text: 'first page' })], next_cursor: 'next' }
          : { items: [message({ id: 'p2', text: 'second page' })], next_cursor: null },
    });
    const { controller } = setup(CONVERSATION_ID);
    await controller.resume();
    expect(controller.getState().messages.map((m) => m.text)).toEqual([
      'first page',
      'second page',
    ]);
    expect(
      calls.filter((c) => c.path.endsWith('/messages')).map((c) => c.query.get('cursor')),
    ).toEqual([null, 'next']);
  });

  it('forgets a stored conversation the server no longer knows', async () => {
    mockApi({
      'GET /api/v1/conversations/{id}': reply(404, {
        code: 'conversation_not_found',
        detail: 'gone',
      }),
    });
    const { controller, transport } = setup(CONVERSATION_ID);
    await controller.resume();
    expect(controller.getState()).toMatchObject({ conversationId: null, history: 'idle' });
    expect(transport.topics()).toEqual([]);
  });

  it('renews the token and tries again when the server refuses it', async () => {
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': tokens({ access_token: 'renewed' }),
      'GET /api/v1/conversations/{id}': ({ headers }: MockRequest) =>
        headers.get('authorization') === 'Bearer renewed'
          ? conversation()
          : reply(401, { code: 'invalid_token', detail: 'bad signature' }),
      'GET /api/v1/conversations/{id}/messages': { items: [], next_cursor: null },
    });
    const { controller } = setup(CONVERSATION_ID);
    await controller.resume();
    expect(controller.getState().conversationId).toBe(CONVERSATION_ID);
    expect(calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(1);
  });
});

describe('newClientId', () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is a fresh UUID each time', () => {
    expect(newClientId()).toMatch(uuid);
    expect(newClientId()).not.toBe(newClientId());
  });

  it('makes one without crypto.randomUUID (older browsers, plain http)', () => {
    vi.stubGlobal('crypto', { getRandomValues: (bytes: Uint8Array) => bytes.fill(7) });
    expect(newClientId()).toMatch(uuid);
  });
});
