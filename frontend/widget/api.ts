import type { components } from '@contract/openapi';

export type WidgetConfig = components['schemas']['WidgetConfig'];
export type TokenResponse = components['schemas']['TokenResponse'];
export type MessageOut = components['schemas']['MessageOut'];
export type ConversationOut = components['schemas']['ConversationOut'];
export type ConversationStatus = components['schemas']['ConversationStatus'];
export type Citation = components['schemas']['CitationOut'];
type Problem = components['schemas']['Problem'];
type MessagePage = components['schemas']['Page_MessageOut_'];

/** The server's message limit (API_MAX_MESSAGE_CHARS; its 422 carries the real one). */
export const MAX_MESSAGE_CHARS = 4000;
const PAGE_SIZE = 200;
const MAX_PAGES = 25; // 5,000 messages: far beyond any chat, a guard against a cursor loop
const PAGE_URL_MAX = 500; // ConversationCreate.metadata values

/** A failed call: the HTTP status (0: no answer at all) and the problem's stable `code`. */
export class WidgetApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(detail);
    this.name = 'WidgetApiError';
  }
}

export const isApiError = (error: unknown, ...codes: string[]): error is WidgetApiError =>
  error instanceof WidgetApiError && (codes.length === 0 || codes.includes(error.code));

/** 401s that mean "this access token is no good" (not a wrong password). */
export const isAuthError = (error: unknown): boolean =>
  error instanceof WidgetApiError && error.status === 401;

type Method = 'GET' | 'POST';

/**
 * The few calls the widget makes, with plain fetch (the console's client and its session store
 * stay out of the bundle). Paths and bodies follow shared/openapi.json.
 */
export class WidgetApi {
  constructor(readonly base: string) {}

  /** An address on the API's origin ('' base: this page's origin). */
  url(path: string): string {
    return `${this.base.replace(/\/+$/, '')}${path}`;
  }

  config(tenant: string): Promise<WidgetConfig> {
    return this.call('GET', `/api/v1/widget/config/${encodeURIComponent(tenant)}`);
  }

  startSession(tenant: string): Promise<TokenResponse> {
    return this.call('POST', '/api/v1/widget/session', { body: { tenant } });
  }

  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.call('POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } });
  }

  createConversation(token: string, pageUrl: string): Promise<ConversationOut> {
    const metadata = pageUrl ? { page_url: pageUrl.slice(0, PAGE_URL_MAX) } : {};
    return this.call('POST', '/api/v1/conversations', { token, body: { metadata } });
  }

  conversation(token: string, id: string): Promise<ConversationOut> {
    return this.call('GET', `/api/v1/conversations/${encodeURIComponent(id)}`, { token });
  }

  /** Every message, oldest first (the server pages forward by sequence). */
  async messages(token: string, id: string): Promise<MessageOut[]> {
    const all: MessageOut[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor !== null) query.set('cursor', cursor);
      const result: MessagePage = await this.call(
        'GET',
        `/api/v1/conversations/${encodeURIComponent(id)}/messages?${query}`,
        { token },
      );
      all.push(...result.items);
      cursor = result.next_cursor;
      if (cursor === null) break;
    }
    return all;
  }

  postMessage(
    token: string,
    id: string,
    body: { text: string; client_message_id: string },
  ): Promise<MessageOut> {
    return this.call('POST', `/api/v1/conversations/${encodeURIComponent(id)}/messages`, {
      token,
      body,
    });
  }

  private async call<T>(
    method: Method,
    path: string,
    { token, body }: { token?: string; body?: unknown } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
      });
    } catch {
      throw new WidgetApiError(0, 'network', 'The chat service could not be reached.');
    }
    if (response.ok) return (await response.json()) as T;
    let problem: Partial<Problem> | null = null;
    try {
      problem = (await response.json()) as Partial<Problem>;
    } catch {
      problem = null;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new WidgetApiError(
      response.status,
      problem?.code ?? `http_${response.status}`,
      problem?.detail ?? `The chat service answered ${response.status}.`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    );
  }
}

/** What a customer reads when a call failed: plain words, and what to do about it. */
export function errorText(error: unknown): string {
  if (!(error instanceof WidgetApiError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'network':
      return 'No connection to the chat. Check your internet connection and try again.';
    case 'rate_limited':
      return error.retryAfterS
        ? `You're sending messages quickly. Try again in ${Math.ceil(error.retryAfterS)} s.`
        : "You're sending messages quickly. Wait a moment, then try again.";
    case 'message_too_long':
      return `That message is too long (at most ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters).`;
    case 'validation_failed':
    case 'payload_too_large':
      return "The chat couldn't accept that message. Shorten it and try again.";
    case 'tenant_not_found':
      return 'This chat is not set up yet.';
    case 'service_unavailable':
      return 'The chat is busy right now. Please try again in a moment.';
    default:
      return error.status >= 500
        ? 'The chat service had a problem. Please try again.'
        : error.message || 'Something went wrong. Please try again.';
  }
}
