import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { type MockRequest, mockApi } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { ago, conversation, ME, signIn } from '../test/fixtures';
import { ConversationsPage } from './conversations-page';

beforeEach(signIn);
afterEach(() => {
  useSession.getState().signOut();
  vi.unstubAllGlobals();
});

const a = conversation({
  id: 'aaaaaa1',
  last_message_at: ago(2),
  status: 'pending_human',
  priority: 'urgent',
});
const b = conversation({
  id: 'bbbbbb2',
  last_message_at: ago(20),
  ai_paused: true,
  assigned_to: ME.id,
});

const ids = () =>
  screen.getAllByTestId('conversation-row').map((r) => r.querySelector('a')?.getAttribute('href'));

describe('ConversationsPage', () => {
  it('filters by status through the URL', async () => {
    const { calls } = mockApi({
      'GET /api/v1/conversations': ({ query }: MockRequest) => ({
        items: query.get('status') === 'pending_human' ? [a] : [a, b],
        next_cursor: null,
      }),
    });
    renderWithProviders(<ConversationsPage />, { route: '/agent/conversations' });
    await waitFor(() => expect(screen.getAllByTestId('conversation-row')).toHaveLength(2));
    const rows = screen.getAllByTestId('conversation-row');
    expect(rows[0]).toHaveAttribute('data-priority', 'urgent');
    expect(within(rows[1]).getByText('AI paused')).toBeInTheDocument();
    expect(within(rows[1]).getAllByText('You').length).toBeGreaterThan(0);

    await userEvent.click(screen.getByRole('button', { name: 'Waiting for an agent' }));
    await waitFor(() => expect(screen.getAllByTestId('conversation-row')).toHaveLength(1));
    expect(calls.at(-1)?.query.get('status')).toBe('pending_human');
    expect(screen.getByRole('button', { name: 'Waiting for an agent' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  });

  it('keeps the list live: new conversations, changes and new messages', async () => {
    mockApi({ 'GET /api/v1/conversations': { items: [a, b], next_cursor: null } });
    const { transport } = renderWithProviders(<ConversationsPage />, {
      route: '/agent/conversations',
    });
    await waitFor(() =>
      expect(ids()).toEqual(['/agent/conversations/aaaaaa1', '/agent/conversations/bbbbbb2']),
    );

    act(() =>
      transport.emit('tenant:t1:conversations', {
        type: 'conversation.created',
        conversation: conversation({ id: 'cccccc3', last_message_at: ago(0) }),
      }),
    );
    await waitFor(() => expect(ids()[0]).toBe('/agent/conversations/cccccc3'));

    act(() =>
      transport.emit('tenant:t1:conversations', {
        type: 'message.created',
        message: {
          id: 'm1',
          conversation_id: 'bbbbbb2',
          author_kind: 'customer',
          author_id: null,
          visibility: 'public',
          text: 'hello?',
          metadata: {},
          client_message_id: null,
          created_at: new Date(Date.now() + 1000).toISOString(),
        },
      }),
    );
    await waitFor(() => expect(ids()[0]).toBe('/agent/conversations/bbbbbb2'));

    act(() =>
      transport.emit('tenant:t1:conversations', {
        type: 'conversation.updated',
        conversation: { ...a, status: 'resolved' },
      }),
    );
    await waitFor(() => expect(screen.getAllByText('Resolved').length).toBeGreaterThan(0));
  });
});
