import type { components, paths } from '@contract/openapi';
import createClient, { type Middleware } from 'openapi-fetch';
import { env } from '@/config/env';
import { freshAccessToken, type TokenResponse, useSession } from './session';
import { supabase } from './supabase';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

/** A failed call, carrying the server's problem details (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | null,
  ) {
    super(problem?.detail ?? `The server answered ${status}.`);
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

// fetch looked up per call (not captured at start), so tests can fake the server at fetch
const options = { baseUrl: env.apiBase, fetch: (request: Request) => globalThis.fetch(request) };
const bare = createClient<paths>(options);

export async function refreshTokens(refreshToken: string): Promise<TokenResponse | null> {
  if (supabase !== null) {
    const { data, error } = await supabase.auth.refreshSession({ refresh_token: refreshToken });
    const user = useSession.getState().user;
    if (error || data.session === null || user === null) return null;
    return fromSupabase(data.session, user);
  }
  const { data, response } = await bare.POST('/api/v1/auth/refresh', {
    body: { refresh_token: refreshToken },
  });
  if (data !== undefined) return data;
  if (response.status === 401) return null;
  throw new ApiError(response.status, null);
}

type SupabaseSession = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  expires_at?: number;
};

const fromSupabase = (session: SupabaseSession, user: Schemas['UserOut']): TokenResponse => ({
  access_token: session.access_token,
  token_type: 'bearer',
  expires_in: session.expires_in,
  expires_at: session.expires_at ?? Math.floor(Date.now() / 1000) + session.expires_in,
  refresh_token: session.refresh_token,
  user,
});

/**
 * Staff sign-in: the backend's own issuer (embedded), or Supabase Auth when the build is
 * configured for it (the backend then only verifies tokens and tells us who we are).
 */
export async function signInWithPassword(email: string, password: string): Promise<TokenResponse> {
  if (supabase === null) {
    return unwrap(bare.POST('/api/v1/auth/login', { body: { email, password } }));
  }
  const { data, error } = await supabase.auth.signInWithPassword({ email, password });
  if (error || data.session === null) {
    throw new ApiError(error?.status ?? 401, {
      code: 'invalid_credentials',
      detail: error?.message ?? 'The e-mail or password is wrong.',
    });
  }
  const session = data.session;
  const user = await unwrap(
    bare.GET('/api/v1/auth/me', {
      headers: { authorization: `Bearer ${session.access_token}` },
    }),
  );
  return fromSupabase(session, user);
}

export const accessToken = (): Promise<string | null> => freshAccessToken(refreshTokens);

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await accessToken();
    if (token !== null) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // the session ended on the server (idle for an hour, or signed out elsewhere)
    if (response.status === 401 && useSession.getState().accessToken !== null) {
      useSession.getState().signOut();
    }
    return response;
  },
};

/** The typed API client of the console; paths and bodies come from shared/openapi.json. */
export const api = createClient<paths>(options);
api.use(auth);

/** openapi-fetch result -> data, or a thrown ApiError with the problem details. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ApiError(response.status, (error ?? null) as Partial<Problem> | null);
  }
  return data as T;
}
