import type { components } from '@contract/openapi';
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';

export type TokenResponse = components['schemas']['TokenResponse'];
export type User = components['schemas']['UserOut'];

interface SessionState {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: number; // unix seconds
  user: User | null;
  signIn: (tokens: TokenResponse) => void;
  signOut: () => void;
}

/** The signed-in staff member's tokens; kept for the tab's session (sessionStorage). */
export const useSession = create<SessionState>()(
  persist(
    (set) => ({
      accessToken: null,
      refreshToken: null,
      expiresAt: 0,
      user: null,
      signIn: (tokens) =>
        set({
          accessToken: tokens.access_token,
          refreshToken: tokens.refresh_token,
          expiresAt: tokens.expires_at,
          user: tokens.user,
        }),
      signOut: () => set({ accessToken: null, refreshToken: null, expiresAt: 0, user: null }),
    }),
    { name: 'cc.session', storage: createJSONStorage(() => sessionStorage) },
  ),
);

const REFRESH_MARGIN_S = 60;
let inflight: Promise<string | null> | null = null;

type Refresher = (refreshToken: string) => Promise<TokenResponse | null>;

/**
 * A token that is valid for at least another minute: refreshes once (single flight) when the
 * current one is about to expire; signs out when the refresh token no longer works.
 */
export function freshAccessToken(refresh: Refresher): Promise<string | null> {
  const state = useSession.getState();
  if (state.accessToken === null) return Promise.resolve(null);
  if (state.expiresAt - Date.now() / 1000 > REFRESH_MARGIN_S) {
    return Promise.resolve(state.accessToken);
  }
  if (state.refreshToken === null) return Promise.resolve(null);
  inflight ??= refresh(state.refreshToken)
    .then((tokens) => {
      if (tokens === null) {
        useSession.getState().signOut();
        return null;
      }
      useSession.getState().signIn(tokens);
      return tokens.access_token;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

export const hasRole = (user: User | null, ...roles: User['role'][]): boolean =>
  user !== null && roles.includes(user.role);
