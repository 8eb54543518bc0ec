import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockApi, reply } from '@/test/api-mock';
import { WidgetApi } from './api';
import { storageKey, WidgetSession } from './session';
import { tokens } from './test-data';

const API = 'http://api.test';
const nowS = () => Math.floor(Date.now() / 1000);

function stored(tenant = 'demo') {
  return JSON.parse(window.localStorage.getItem(storageKey(tenant)) ?? 'null');
}

function seed(access: string, refresh: string, expiresInS: number, conversationId: string | null) {
  window.localStorage.setItem(
    storageKey('demo'),
    JSON.stringify({
      tokens: { access_token: access, refresh_token: refresh, expires_at: nowS() + expiresInS },
      conversationId,
    }),
  );
}

const newSession = () => new WidgetSession('demo', new WidgetApi(API), window.localStorage);

afterEach(() => {
  window.localStorage.clear();
  vi.unstubAllGlobals();
});

describe('WidgetSession', () => {
  it('starts one anonymous session for calls made together and keeps it per tenant', async () => {
    const fresh = tokens({ access_token: 'first' });
    const { calls } = mockApi({ 'POST /api/v1/widget/session': reply(201, fresh) });
    const session = newSession();
    const got = await Promise.all([session.token(), session.token(), session.token()]);
    expect(got).toEqual(['first', 'first', 'first']);
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toEqual({ tenant: 'demo' });
    expect(stored().tokens).toMatchObject({
      access_token: 'first',
      refresh_token: fresh.refresh_token,
    });
    expect(stored('other')).toBeNull();
  });

  it('reuses stored tokens after a reload', async () => {
    seed('kept', 'refresh-kept', 600, 'conv-1');
    const { calls } = mockApi({});
    const session = newSession();
    expect(await session.token()).toBe('kept');
    expect(session.conversationId()).toBe('conv-1');
    expect(calls).toHaveLength(0);
  });

  it('refreshes once, shortly before the token expires, and hands the new token on', async () => {
    seed('old', 'refresh-old', 30, 'conv-1');
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': tokens({ access_token: 'new', refresh_token: 'refresh-new' }),
    });
    const session = newSession();
    const onToken = vi.fn();
    session.onToken(onToken);
    const got = await Promise.all([session.token(), session.token()]);
    expect(got).toEqual(['new', 'new']);
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toEqual({ refresh_token: 'refresh-old' });
    expect(onToken).toHaveBeenCalledWith('new');
    expect(stored()).toMatchObject({
      conversationId: 'conv-1',
      tokens: { refresh_token: 'refresh-new' },
    });
  });

  it('starts a new session, forgetting the conversation, when the refresh token is refused', async () => {
    seed('old', 'refresh-old', 10, 'conv-1');
    mockApi({
      'POST /api/v1/auth/refresh': reply(401, {
        code: 'session_expired',
        detail: 'idle for an hour',
      }),
      'POST /api/v1/widget/session': reply(201, tokens({ access_token: 'anew' })),
    });
    const session = newSession();
    const onReset = vi.fn();
    session.onReset(onReset);
    expect(await session.token()).toBe('anew');
    expect(onReset).toHaveBeenCalledOnce();
    expect(session.conversationId()).toBeNull();
  });

  it("uses another tab's fresh tokens when that tab rotated the refresh token first", async () => {
    seed('old', 'refresh-old', 10, 'conv-1');
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': () => {
        seed('from-other-tab', 'refresh-other', 900, 'conv-1');
        return reply(401, { code: 'session_expired', detail: 'rotated' });
      },
    });
    const session = newSession();
    expect(await session.token()).toBe('from-other-tab');
    expect(session.conversationId()).toBe('conv-1');
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/auth/refresh']);
  });

  it('keeps the session when the refresh fails for another reason (offline)', async () => {
    seed('old', 'refresh-old', 10, 'conv-1');
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    const session = newSession();
    await expect(session.token()).rejects.toMatchObject({ code: 'network' });
    expect(session.conversationId()).toBe('conv-1');
    expect(stored().tokens.refresh_token).toBe('refresh-old');
  });

  it('judges expiry by its own clock (expires_in), not the server’s expires_at', async () => {
    mockApi({
      'POST /api/v1/widget/session': reply(
        201,
        tokens({ access_token: 'skewed', expires_in: 900, expires_at: nowS() - 3600 }),
      ),
    });
    const session = newSession();
    await session.token();
    expect(session.expiresAt()).toBeGreaterThan(nowS() + 800);
  });
});
