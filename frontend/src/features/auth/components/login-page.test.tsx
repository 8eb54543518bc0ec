import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { mockApi, reply } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { LoginPage } from './login-page';

const tokens = {
  access_token: 'a.b.c',
  token_type: 'bearer',
  expires_in: 900,
  expires_at: Math.floor(Date.now() / 1000) + 900,
  refresh_token: 'refresh-token-1',
  user: {
    id: 'u1',
    email: 'agent@demo.example',
    role: 'agent',
    tenant_id: 't1',
    display_name: 'Alex Agent',
    is_anonymous: false,
  },
};

const app = (
  <Routes>
    <Route path="/login" element={<LoginPage />} />
    <Route path="/agent" element={<p>agent console</p>} />
  </Routes>
);

afterEach(() => {
  useSession.getState().signOut();
  vi.unstubAllGlobals();
});

describe('LoginPage', () => {
  it('signs in and goes to the agent console', async () => {
    const { calls } = mockApi({ 'POST /api/v1/auth/login': tokens });
    renderWithProviders(app, { route: '/login' });
    await userEvent.type(screen.getByLabelText(/e-mail/i), 'agent@demo.example');
    await userEvent.type(screen.getByLabelText(/password/i), 'secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('agent console')).toBeInTheDocument();
    expect(calls[0].body).toEqual({ email: 'agent@demo.example', password: 'secret' });
    expect(useSession.getState().user?.display_name).toBe('Alex Agent');
  });

  it("shows the server's reason when the password is wrong", async () => {
    mockApi({
      'POST /api/v1/auth/login': reply(401, {
        code: 'invalid_credentials',
        detail: 'The e-mail or password is wrong.',
      }),
    });
    renderWithProviders(app, { route: '/login' });
    await userEvent.type(screen.getByLabelText(/e-mail/i), 'agent@demo.example');
    await userEvent.type(screen.getByLabelText(/password/i), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(screen.getByText('The e-mail or password is wrong.')).toBeInTheDocument(),
    );
    expect(useSession.getState().user).toBeNull();
  });
});
