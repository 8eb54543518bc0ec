import type { ConversationOut, MessageOut, TokenResponse, WidgetConfig } from './api';

/** Shapes the backend answers with, for the widget's tests. */

export const CONVERSATION_ID = 'c0ffee00-0000-4000-8000-000000000001';
export const OTHER_CONVERSATION_ID = 'c0ffee00-0000-4000-8000-000000000002';

export const widgetConfig: WidgetConfig = {
  tenant: 'demo',
  name: 'Demo Pharmacy',
  assistant_name: 'Mira',
  greeting: "Hi, I'm Mira from Demo Pharmacy.",
  brand_color: '#0f766e',
  logo_url: '/pharmacy-logo.svg',
  privacy_url: '/#privacy',
};

let serial = 0;

export function tokens(overrides: Partial<TokenResponse> = {}): TokenResponse {
  serial += 1;
  return {
    access_token: `access-${serial}`,
    token_type: 'bearer',
    expires_in: 900,
    expires_at: Math.floor(Date.now() / 1000) + 900,
    refresh_token: `refresh-${serial}`,
    user: {
      id: 'customer-1',
      email: null,
      role: 'customer',
      tenant_id: 'tenant-1',
      display_name: null,
      is_anonymous: true,
    },
    ...overrides,
  };
}

export function conversation(overrides: Partial<ConversationOut> = {}): ConversationOut {
  const now = new Date().toISOString();
  return {
    id: CONVERSATION_ID,
    tenant_id: 'tenant-1',
    customer_id: 'customer-1',
    channel: 'web',
    status: 'open',
    priority: 'normal',
    assigned_to: null,
    ai_paused: false,
    subject: null,
    metadata: {},
    created_at: now,
    updated_at: now,
    last_message_at: now,
    closed_at: null,
    ...overrides,
  };
}

export function message(overrides: Partial<MessageOut> = {}): MessageOut {
  serial += 1;
  return {
    id: `m-${serial}`,
    conversation_id: CONVERSATION_ID,
    author_kind: 'customer',
    author_id: null,
    visibility: 'public',
    text: 'Hello',
    metadata: {},
    client_message_id: null,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

export const openingHoursCitation = {
  number: 1,
  chunk_id: 'chunk-1',
  document_id: 'doc-1',
  title: 'Opening hours',
  section: 'Store hours > Weekends',
  source_url: 'https://pharmacy.example.com/opening-hours',
  quote: 'Saturday: 9:00 a.m. to 6:00 p.m.',
};
