import { Listeners } from '@/lib/realtime/listeners';
import { isAuthError, type TokenResponse, type WidgetApi } from './api';

/** Refresh when the access token has less than this left. */
export const REFRESH_MARGIN_S = 60;

export interface StoredTokens {
  access_token: string;
  refresh_token: string;
  /** Unix seconds by this browser's clock (from expires_in, so a skewed clock does no harm). */
  expires_at: number;
}

interface Stored {
  tokens: StoredTokens | null;
  conversationId: string | null;
}

/** localStorage, or memory when the page may not use it (blocked cookies, private modes). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function browserStorage(): KeyValueStore {
  try {
    const probe = '__cc_widget_probe__';
    window.localStorage.setItem(probe, '1');
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    const memory = new Map<string, string>();
    return {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => void memory.set(key, value),
      removeItem: (key) => void memory.delete(key),
    };
  }
}

export const storageKey = (tenant: string) => `cc-widget:${tenant}`;
const nowS = () => Date.now() / 1000;

/**
 * The customer's anonymous session and conversation, kept per tenant in localStorage so a
 * reload (or another tab) carries on where it was. Tokens are refreshed before they expire,
 * once at a time; when the refresh token no longer works (idle for an hour, or revoked) a new
 * anonymous session starts and the old conversation is forgotten (`onReset`).
 */
export class WidgetSession {
  private inflight: Promise<string> | null = null;
  private memory: Stored | null = null; // when storage refuses a write (full)
  private readonly resets = new Listeners<void>();
  private readonly tokens = new Listeners<string>();

  constructor(
    private readonly tenant: string,
    private readonly api: WidgetApi,
    private readonly storage: KeyValueStore = browserStorage(),
  ) {}

  /** A new session replaced the old one: its conversation can no longer be read. */
  onReset(listener: () => void): () => void {
    return this.resets.add(listener);
  }

  /** A fresh access token (after a refresh), for the open realtime connection. */
  onToken(listener: (token: string) => void): () => void {
    return this.tokens.add(listener);
  }

  conversationId(): string | null {
    return this.read().conversationId;
  }

  setConversationId(id: string | null): void {
    this.write({ ...this.read(), conversationId: id });
  }

  /** When the current access token expires (unix seconds), or null without a session. */
  expiresAt(): number | null {
    return this.read().tokens?.expires_at ?? null;
  }

  /** An access token valid for at least another minute: starts or refreshes a session. */
  token(): Promise<string> {
    const { tokens } = this.read();
    if (tokens !== null && tokens.expires_at - nowS() > REFRESH_MARGIN_S) {
      return Promise.resolve(tokens.access_token);
    }
    return this.singleFlight(() => (tokens === null ? this.start() : this.refresh(tokens)));
  }

  /** The server refused our access token: refresh now (or start again). */
  renew(): Promise<string> {
    const { tokens } = this.read();
    return this.singleFlight(() => (tokens === null ? this.start() : this.refresh(tokens)));
  }

  private singleFlight(run: () => Promise<string>): Promise<string> {
    this.inflight ??= run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async start(): Promise<string> {
    const fresh = await this.api.startSession(this.tenant);
    this.write({ tokens: this.keep(fresh), conversationId: null });
    return fresh.access_token;
  }

  private async refresh(tokens: StoredTokens): Promise<string> {
    let fresh: TokenResponse;
    try {
      fresh = await this.api.refresh(tokens.refresh_token);
    } catch (error) {
      if (!isAuthError(error)) throw error; // offline, or the server failed: try again later
      // another tab may have rotated the refresh token a moment ago: use its tokens
      const current = this.read().tokens;
      if (
        current !== null &&
        current.refresh_token !== tokens.refresh_token &&
        current.expires_at - nowS() > REFRESH_MARGIN_S
      ) {
        return current.access_token;
      }
      const token = await this.start();
      this.resets.emit();
      return token;
    }
    this.write({ ...this.read(), tokens: this.keep(fresh) });
    this.tokens.emit(fresh.access_token);
    return fresh.access_token;
  }

  private keep(tokens: TokenResponse): StoredTokens {
    return {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: Math.floor(nowS()) + tokens.expires_in,
    };
  }

  private read(): Stored {
    try {
      const raw = this.storage.getItem(storageKey(this.tenant));
      if (raw === null) return this.memory ?? { tokens: null, conversationId: null };
      const parsed = JSON.parse(raw) as Partial<Stored>;
      const tokens = parsed.tokens;
      return {
        tokens:
          tokens &&
          typeof tokens.access_token === 'string' &&
          typeof tokens.refresh_token === 'string' &&
          typeof tokens.expires_at === 'number'
            ? tokens
            : null,
        conversationId: typeof parsed.conversationId === 'string' ? parsed.conversationId : null,
      };
    } catch {
      return { tokens: null, conversationId: null };
    }
  }

  private write(value: Stored): void {
    this.memory = value;
    try {
      this.storage.setItem(storageKey(this.tenant), JSON.stringify(value));
    } catch {
      // storage full or blocked: the session lasts as long as the page
    }
  }
}
