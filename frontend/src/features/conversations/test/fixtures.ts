import type { Schemas } from '@/lib/api';

export { ME, signIn } from '@/test/session';

/** Chakra's auto-growing textarea measures itself; jsdom has no ResizeObserver. */
export class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}

export const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export function conversation(
  overrides: Partial<Schemas['ConversationOut']> & { id: string },
): Schemas['ConversationOut'] {
  return {
    tenant_id: 't1',
    customer_id: `cust-${overrides.id}`,
    channel: 'web',
    status: 'open',
    priority: 'normal',
    assigned_to: null,
    ai_paused: false,
    subject: null,
    metadata: {},
    created_at: ago(60),
    updated_at: ago(5),
    last_message_at: ago(5),
    closed_at: null,
    ...overrides,
  };
}

let seq = 0;
export function message(
  overrides: Partial<Schemas['MessageOut']> & { conversation_id: string },
): Schemas['MessageOut'] {
  seq += 1;
  return {
    id: `m${seq}`,
    author_kind: 'customer',
    author_id: 'cust',
    visibility: 'public',
    text: `message ${seq}`,
    metadata: {},
    client_message_id: null,
    created_at: ago(10 - seq / 100),
    ...overrides,
  };
}
