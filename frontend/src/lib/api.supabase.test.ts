import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockApi } from '@/test/api-mock';
import { ApiError, refreshTokens, signInWithPassword } from './api';
import { useSession } from './session';

// a build configured for Supabase: staff sign in with Supabase Auth, the backend says who they are
const auth = vi.hoisted(() => ({
  signInWithPassword: vi.fn(),
  refreshSession: vi.fn(),
}));
vi.mock('./supabase', () => ({ supabase: { auth } }));

const user = {
  id: 'u1',
  email: 'sam@pharmacy.example',
  role: 'supervisor',
  tenant_id: 't1',
  display_name: 'Sam',
  is_anonymous: false,
};
const session = (n: number) => ({
  access_token: `supabase-jwt-${n}`,
  refresh_token: `refresh-${n}`,
  expires_in: 3600,
  expires_at: 2_000_000_000 + n,
});

afterEach(() => {
  vi.unstubAllGlobals();
  useSession.getState().signOut();
});

describe('with Supabase Auth', () => {
  it('signs in with Supabase and asks the backend who the user is', async () => {
    auth.signInWithPassword.mockResolvedValue({ data: { session: session(1) }, error: null });
    const { calls } = mockApi({ 'GET /api/v1/auth/me': user });
    const tokens = await signInWithPassword('sam@pharmacy.example', 'pw');
    expect(auth.signInWithPassword).toHaveBeenCalledWith({
      email: 'sam@pharmacy.example',
      password: 'pw',
    });
    expect(calls[0].headers.get('authorization')).toBe('Bearer supabase-jwt-1');
    expect(tokens).toMatchObject({
      access_token: 'supabase-jwt-1',
      refresh_token: 'refresh-1',
      expires_at: 2_000_000_001,
      user,
    });
  });

  it("turns Supabase's refusal into a clear error", async () => {
    auth.signInWithPassword.mockResolvedValue({
      data: { session: null },
      error: { status: 400, message: 'Invalid login credentials' },
    });
    const failure = signInWithPassword('sam@pharmacy.example', 'wrong');
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toThrow('Invalid login credentials');
  });

  it('refreshes through Supabase, keeping the known user', async () => {
    useSession.getState().signIn({
      access_token: 'old',
      token_type: 'bearer',
      expires_in: 1,
      expires_at: 1,
      refresh_token: 'refresh-1',
      user: user as never,
    });
    auth.refreshSession.mockResolvedValue({ data: { session: session(2) }, error: null });
    const tokens = await refreshTokens('refresh-1');
    expect(auth.refreshSession).toHaveBeenCalledWith({ refresh_token: 'refresh-1' });
    expect(tokens?.access_token).toBe('supabase-jwt-2');
    expect(tokens?.user).toEqual(user);
    auth.refreshSession.mockResolvedValue({
      data: { session: null },
      error: { message: 'expired' },
    });
    expect(await refreshTokens('refresh-2')).toBeNull();
  });
});
