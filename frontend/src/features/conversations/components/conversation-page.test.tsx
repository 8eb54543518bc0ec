import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { type MockRequest, mockApi, reply } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { useComposerStore } from '../hooks/composer-store';
import { conversation, ME, message, NoResizeObserver, signIn } from '../test/fixtures';
import { ConversationPage } from './conversation-page';

beforeEach(() => {
  signIn();
  vi.stubGlobal('ResizeObserver', NoResizeObserver);
});
afterEach(() => {
  useSession.getState().signOut();
  useComposerStore.setState({ drafts: {}, mode: {} });
  vi.unstubAllGlobals();
});

const waiting = conversation({ id: 'c1', status: 'pending_human', priority: 'urgent' });

function backend(overrides: Record<string, unknown> = {}) {
  return mockApi({
    'GET /api/v1/conversations/{id}': waiting,
    'GET /api/v1/conversations/{id}/messages': {
      items: [message({ conversation_id: 'c1', text: 'I got a rash after the new tablets' })],
      next_cursor: null,
    },
    'GET /api/v1/conversations/{id}/outcomes': [],
    'GET /api/v1/drafts': { items: [], next_cursor: null },
    ...overrides,
  } as Parameters<typeof mockApi>[0]);
}

describe('ConversationPage', () => {
  it('takes the conversation over and the header follows', async () => {
    const { calls } = backend({
      'POST /api/v1/conversations/{id}/takeover': {
        ...waiting,
        ai_paused: true,
        assigned_to: ME.id,
      },
    });
    renderWithProviders(<ConversationPage conversationId="c1" />);
    const header = await screen.findByTestId('conversation-header');
    expect(within(header).getByText('Urgent')).toBeInTheDocument();
    expect(within(header).getByText('Waiting for an agent')).toBeInTheDocument();
    expect(within(header).queryByText('AI paused')).not.toBeInTheDocument();

    await userEvent.click(within(header).getByRole('button', { name: 'Take over' }));

    await waitFor(() => expect(within(header).getByText('AI paused')).toBeInTheDocument());
    expect(
      calls.some((c) => c.method === 'POST' && c.path === '/api/v1/conversations/c1/takeover'),
    ).toBe(true);
    expect(within(header).getByText(/with you/)).toBeInTheDocument();
    expect(within(header).getByRole('button', { name: 'Hand back to AI' })).toBeInTheDocument();
    expect(within(header).queryByRole('button', { name: 'Take over' })).not.toBeInTheDocument();
  });

  it('follows live changes of the conversation and hides actions once resolved', async () => {
    backend();
    const { transport } = renderWithProviders(<ConversationPage conversationId="c1" />);
    const header = await screen.findByTestId('conversation-header');
    act(() =>
      transport.emit('conversation:c1', {
        type: 'conversation.updated',
        conversation: { ...waiting, status: 'resolved', closed_at: new Date().toISOString() },
      }),
    );
    await waitFor(() => expect(within(header).getByText('Resolved')).toBeInTheDocument());
    expect(within(header).queryByRole('button', { name: 'Resolve' })).not.toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Reply' })).toBeDisabled();
  });

  it('replies as the agent and adds internal notes from the composer', async () => {
    const { calls } = backend({
      'POST /api/v1/conversations/{id}/messages': ({ body }: MockRequest) =>
        reply(
          201,
          message({
            conversation_id: 'c1',
            author_kind: 'agent',
            author_id: ME.id,
            text: (body as { text: string }).text,
          }),
        ),
      'POST /api/v1/conversations/{id}/notes': ({ body }: MockRequest) =>
        reply(
          201,
          message({
            conversation_id: 'c1',
            author_kind: 'agent',
            author_id: ME.id,
            visibility: 'internal',
            text: (body as { text: string }).text,
          }),
        ),
    });
    renderWithProviders(<ConversationPage conversationId="c1" />);
    await screen.findByText('I got a rash after the new tablets');

    await userEvent.type(
      screen.getByLabelText('Reply to the customer'),
      'Please stop taking them.',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Send reply' }));
    await waitFor(() => expect(screen.getAllByTestId('timeline-message')).toHaveLength(2));
    const sent = calls.find(
      (c) => c.method === 'POST' && c.path === '/api/v1/conversations/c1/messages',
    );
    expect(sent?.body).toMatchObject({ text: 'Please stop taking them.' });
    expect(screen.getByLabelText('Reply to the customer')).toHaveValue('');

    await userEvent.click(screen.getByRole('radio', { name: 'Internal note' }));
    await userEvent.type(screen.getByLabelText('Note for colleagues'), 'Called the pharmacist.');
    await userEvent.click(screen.getByRole('button', { name: 'Add note' }));
    await waitFor(() => expect(screen.getAllByTestId('timeline-message')).toHaveLength(3));
    expect(calls.find((c) => c.path === '/api/v1/conversations/c1/notes')?.body).toEqual({
      text: 'Called the pharmacist.',
    });
    expect(screen.getAllByTestId('timeline-message')[2]).toHaveAttribute(
      'data-visibility',
      'internal',
    );
  });

  it('keeps the text and says why when a reply fails', async () => {
    backend({
      'POST /api/v1/conversations/{id}/messages': reply(409, {
        code: 'conversation_closed',
        detail: 'the conversation is resolved; start a new conversation',
      }),
    });
    renderWithProviders(<ConversationPage conversationId="c1" />);
    await userEvent.type(await screen.findByLabelText('Reply to the customer'), 'Hello');
    await userEvent.click(screen.getByRole('button', { name: 'Send reply' }));
    expect(
      await screen.findByText(/The reply was not sent: the conversation is resolved/),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Reply to the customer')).toHaveValue('Hello');
  });

  it('links to the draft waiting for review', async () => {
    backend({
      'GET /api/v1/drafts': {
        items: [{ id: 'd9', conversation_id: 'c1', priority: 'urgent' }],
        next_cursor: null,
      },
    });
    renderWithProviders(<ConversationPage conversationId="c1" />);
    const link = await screen.findByRole('link', { name: 'Review the draft' });
    expect(link).toHaveAttribute('href', '/agent?draft=d9');
  });
});
