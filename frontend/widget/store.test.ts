import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '@/lib/realtime/types';
import {
  type Action,
  type ChatMessage,
  type ChatState,
  initialState,
  reducer,
  streamText,
} from './store';
import { CONVERSATION_ID, conversation, message, OTHER_CONVERSATION_ID } from './test-data';

const run = (state: ChatState, ...actions: Action[]) => actions.reduce(reducer, state);
const event = (e: RealtimeEvent): Action => ({ type: 'event', event: e });
const started = run(initialState, { type: 'conversation', conversation: conversation() });

const delta = (seq: number, text: string, messageId = 'q1'): Action =>
  event({
    type: 'ai.reply.delta',
    conversation_id: CONVERSATION_ID,
    message_id: messageId,
    seq,
    delta: text,
  });

const optimistic = (key: string, text = 'Hi'): Action => ({
  type: 'optimistic',
  message: {
    key,
    id: null,
    clientMessageId: key,
    author: 'customer',
    text,
    metadata: {},
    createdAt: new Date().toISOString(),
    delivery: 'sending',
  } satisfies ChatMessage,
});

describe('streamed replies', () => {
  it('puts pieces in seq order even when they arrive out of order', () => {
    const state = run(started, delta(2, 'open '), delta(0, 'We '), delta(1, 'are '));
    expect(streamText(state.streams[0])).toBe('We are open ');
  });

  it('shows nothing past a missing piece until it arrives', () => {
    let state = run(started, delta(0, 'We '), delta(2, 'open'));
    expect(streamText(state.streams[0])).toBe('We ');
    state = run(state, delta(1, 'are '));
    expect(streamText(state.streams[0])).toBe('We are open');
  });

  it('keeps replies to different messages apart', () => {
    const state = run(started, delta(0, 'one', 'q1'), delta(0, 'two', 'q2'));
    expect(state.streams.map(streamText)).toEqual(['one', 'two']);
  });

  it('removes the stream when the reply is withdrawn', () => {
    const state = run(
      started,
      delta(0, 'Maybe'),
      event({ type: 'ai.reply.withdrawn', conversation_id: CONVERSATION_ID, message_id: 'q1' }),
    );
    expect(state.streams).toEqual([]);
  });

  it('replaces the stream with the final message, and ignores pieces that come late', () => {
    const final = message({
      id: 'a1',
      author_kind: 'ai',
      text: 'We are open [1]',
      metadata: { in_reply_to: 'q1' },
    });
    let state = run(
      started,
      event({
        type: 'ai.typing',
        conversation_id: CONVERSATION_ID,
        message_id: 'q1',
        typing: true,
      }),
      delta(0, 'We are'),
      event({ type: 'message.created', message: final }),
    );
    expect(state.streams).toEqual([]);
    expect(state.typing).toEqual([]);
    expect(state.messages.map((m) => m.text)).toEqual(['We are open [1]']);
    state = run(state, delta(1, ' open'));
    expect(state.streams).toEqual([]);
  });

  it('ignores events of another conversation', () => {
    const state = run(
      started,
      event({
        type: 'ai.reply.delta',
        conversation_id: OTHER_CONVERSATION_ID,
        message_id: 'q1',
        seq: 0,
        delta: 'x',
      }),
    );
    expect(state.streams).toEqual([]);
  });
});

describe('messages', () => {
  it('drops duplicates by id', () => {
    const m = message({ id: 'm1', author_kind: 'agent', text: 'Hello from Alex' });
    const state = run(
      started,
      event({ type: 'message.created', message: m }),
      event({ type: 'message.created', message: m }),
    );
    expect(state.messages).toHaveLength(1);
  });

  it('matches the echo of a sent message to its bubble by client id', () => {
    const echo = message({ id: 'm1', text: 'Hi', client_message_id: 'k1' });
    let state = run(started, optimistic('k1'), event({ type: 'message.created', message: echo }));
    expect(state.messages).toHaveLength(1);
    expect(state.messages[0]).toMatchObject({ key: 'k1', id: 'm1', delivery: 'sent' });
    // the POST's answer comes after its echo: still one bubble
    state = run(state, { type: 'sent', key: 'k1', message: echo });
    expect(state.messages).toHaveLength(1);
  });

  it('never shows internal notes', () => {
    const note = message({ author_kind: 'agent', visibility: 'internal', text: 'VIP customer' });
    const state = run(started, event({ type: 'message.created', message: note }));
    expect(state.messages).toEqual([]);
  });

  it('marks a failed send and sends it again with the same bubble', () => {
    let state = run(started, optimistic('k1'), { type: 'failed', key: 'k1', error: 'offline' });
    expect(state.messages[0]).toMatchObject({ delivery: 'failed', error: 'offline' });
    state = run(state, { type: 'sending', key: 'k1' });
    expect(state.messages[0]).toMatchObject({ delivery: 'sending', error: undefined });
  });

  it('counts unread answers only while the panel is closed', () => {
    const answer = (id: string) =>
      event({ type: 'message.created', message: message({ id, author_kind: 'agent' }) });
    let state = run(started, answer('a1'), answer('a2'));
    expect(state.unread).toBe(2);
    state = run(state, { type: 'open', open: true }, answer('a3'));
    expect(state.unread).toBe(0);
  });
});

describe('conversation state', () => {
  it('says a person is reviewing when the conversation waits for one', () => {
    const state = run(
      started,
      event({
        type: 'conversation.updated',
        conversation: conversation({ status: 'pending_human' }),
      }),
    );
    expect(state.status).toBe('pending_human');
  });

  it('ends streams and typing when the conversation closes', () => {
    const state = run(
      started,
      event({
        type: 'ai.typing',
        conversation_id: CONVERSATION_ID,
        message_id: 'q1',
        typing: true,
      }),
      delta(0, 'x'),
      event({ type: 'conversation.updated', conversation: conversation({ status: 'resolved' }) }),
    );
    expect(state).toMatchObject({ status: 'resolved', streams: [], typing: [] });
  });

  it('moves an ended conversation above the divider, keeping what was not sent', () => {
    const sent = message({ id: 'm1', text: 'old' });
    const state = run(
      started,
      event({ type: 'message.created', message: sent }),
      optimistic('k2', 'new'),
      { type: 'archive' },
    );
    expect(state.earlier.map((m) => m.text)).toEqual(['old']);
    expect(state.messages.map((m) => m.text)).toEqual(['new']);
    expect(state.conversationId).toBeNull();
  });
});

describe('history', () => {
  it('takes the server order, keeps unsent bubbles last and ends answered streams', () => {
    const q = message({ id: 'q1', text: 'Hours?', client_message_id: 'k1' });
    const a = message({
      id: 'a1',
      author_kind: 'ai',
      text: 'Nine to six',
      metadata: { in_reply_to: 'q1' },
    });
    const state = run(
      started,
      optimistic('k1', 'Hours?'),
      optimistic('k2', 'And Sunday?'),
      delta(0, 'Nine'),
      { type: 'history', conversationId: CONVERSATION_ID, items: [q, a] },
    );
    expect(state.messages.map((m) => [m.key, m.text, m.delivery])).toEqual([
      ['k1', 'Hours?', 'sent'],
      ['a1', 'Nine to six', 'sent'],
      ['k2', 'And Sunday?', 'sending'],
    ]);
    expect(state.streams).toEqual([]);
    expect(state.history).toBe('ready');
  });

  it('ignores the history of a conversation that is no longer current', () => {
    const state = run(started, {
      type: 'history',
      conversationId: OTHER_CONVERSATION_ID,
      items: [message({ conversation_id: OTHER_CONVERSATION_ID })],
    });
    expect(state.messages).toEqual([]);
  });
});
