import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { type MockRequest, mockApi } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { message, NoResizeObserver, signIn } from '../test/fixtures';
import { ConversationTimeline } from './conversation-timeline';

beforeEach(() => {
  signIn();
  vi.stubGlobal('ResizeObserver', NoResizeObserver);
});
afterEach(() => {
  useSession.getState().signOut();
  vi.unstubAllGlobals();
});

const question = message({ conversation_id: 'c1', text: 'Can I return opened medicine?' });
const note = message({
  conversation_id: 'c1',
  author_kind: 'agent',
  author_id: 'u-other',
  visibility: 'internal',
  text: 'Customer called yesterday about the same order.',
});

describe('ConversationTimeline', () => {
  it('shows internal notes apart and appends live messages with their sources', async () => {
    mockApi({
      'GET /api/v1/conversations/{id}/messages': { items: [question, note], next_cursor: null },
    });
    const { transport } = renderWithProviders(<ConversationTimeline conversationId="c1" />);
    await waitFor(() => expect(screen.getAllByTestId('timeline-message')).toHaveLength(2));
    const [first, second] = screen.getAllByTestId('timeline-message');
    expect(first).toHaveAttribute('data-author', 'customer');
    expect(within(first).queryByText('Internal note')).not.toBeInTheDocument();
    expect(second).toHaveAttribute('data-visibility', 'internal');
    expect(within(second).getByText('Internal note')).toBeInTheDocument();
    expect(within(second).getByText(/customers never see it/)).toBeInTheDocument();

    const answer = message({
      conversation_id: 'c1',
      author_kind: 'ai',
      author_id: null,
      text: 'No, opened medicine cannot be returned. [1]',
      metadata: {
        in_reply_to: question.id,
        confidence: 0.91,
        citations: [
          {
            number: 1,
            chunk_id: 'ch1',
            document_id: 'd1',
            title: 'Returns and refunds',
            section: 'Medicines',
            source_url: null,
            quote: 'Opened medicine cannot be returned.',
          },
        ],
      },
    });
    act(() =>
      transport.emit('conversation:c1', {
        type: 'ai.typing',
        conversation_id: 'c1',
        message_id: question.id,
        typing: true,
      }),
    );
    expect(await screen.findByText('The AI is writing a reply…')).toBeInTheDocument();
    act(() => transport.emit('conversation:c1', { type: 'message.created', message: answer }));
    act(() => transport.emit('conversation:c1', { type: 'message.created', message: answer })); // twice: once shown

    await waitFor(() => expect(screen.getAllByTestId('timeline-message')).toHaveLength(3));
    const last = screen.getAllByTestId('timeline-message')[2];
    expect(last).toHaveAttribute('data-author', 'ai');
    expect(
      within(last).getByText('No, opened medicine cannot be returned. [1]'),
    ).toBeInTheDocument();
    expect(within(last).getByText('91% sure', { exact: false })).toBeInTheDocument();
    const chip = within(last).getByRole('button', { name: 'Source 1: Returns and refunds' });
    await userEvent.click(chip);
    expect(await screen.findByText('Opened medicine cannot be returned.')).toBeInTheDocument();
  });

  it('shows a reply while the AI streams it', async () => {
    mockApi({
      'GET /api/v1/conversations/{id}/messages': { items: [question], next_cursor: null },
    });
    const { transport } = renderWithProviders(<ConversationTimeline conversationId="c1" />);
    await screen.findByText('Can I return opened medicine?');
    for (const [seq, delta] of ['No, opened ', 'medicine cannot.'].entries()) {
      act(() =>
        transport.emit('conversation:c1', {
          type: 'ai.reply.delta',
          conversation_id: 'c1',
          message_id: question.id,
          seq,
          delta,
        }),
      );
    }
    expect(await screen.findByTestId('streaming-reply')).toHaveTextContent(
      'No, opened medicine cannot.',
    );
    act(() =>
      transport.emit('conversation:c1', {
        type: 'ai.reply.withdrawn',
        conversation_id: 'c1',
        message_id: question.id,
      }),
    );
    await waitFor(() => expect(screen.queryByTestId('streaming-reply')).not.toBeInTheDocument());
  });

  it('loads every page of a long conversation', async () => {
    const later = message({ conversation_id: 'c1', text: 'a later message' });
    const { calls } = mockApi({
      'GET /api/v1/conversations/{id}/messages': ({ query }: MockRequest) =>
        query.get('cursor') === 'p2'
          ? { items: [later], next_cursor: null }
          : { items: [question], next_cursor: 'p2' },
    });
    renderWithProviders(<ConversationTimeline conversationId="c1" />);
    expect(await screen.findByText('a later message')).toBeInTheDocument();
    expect(calls).toHaveLength(2);
  });
});
