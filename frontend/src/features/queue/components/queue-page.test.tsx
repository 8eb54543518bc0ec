import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '@/lib/api';
import { useSession } from '@/lib/session';
import { type MockRequest, mockApi, reply } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { ago, detail, draft, ME, signIn } from '../test/fixtures';
import { QueuePage } from './queue-page';

type Draft = Schemas['DraftOut'];

const normal = draft({ id: 'd-normal', created_at: ago(30) });
const high = draft({
  id: 'd-high',
  priority: 'high',
  category: 'service_action',
  created_at: ago(5),
});
const safety = draft({
  id: 'd-safety',
  priority: 'urgent',
  category: 'safety_compliance',
  reason: 'safety',
  created_at: ago(1),
});

const rowIds = () => screen.getAllByTestId('draft-row').map((r) => r.dataset.draftId);
const listCalls = (calls: MockRequest[]) =>
  calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/drafts');

/** A backend holding these drafts: list, detail, claim, release and decisions. */
function backend(drafts: Draft[], overrides: Record<string, unknown> = {}) {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  return mockApi({
    'GET /api/v1/drafts': { items: drafts, next_cursor: null },
    'GET /api/v1/drafts/{id}': ({ params }: MockRequest) => {
      const d = byId.get(params.id);
      return d ? detail(d) : reply(404, { code: 'draft_not_found', detail: 'no such draft' });
    },
    'POST /api/v1/drafts/{id}/claim': ({ params }: MockRequest) => ({
      ...byId.get(params.id),
      claimed_by: ME.id,
      claim_expires_at: new Date(Date.now() + 300_000).toISOString(),
    }),
    'POST /api/v1/drafts/{id}/release': ({ params }: MockRequest) => ({
      ...byId.get(params.id),
      claimed_by: null,
    }),
    'POST /api/v1/drafts/{id}/approve': ({ params }: MockRequest) => ({
      ...byId.get(params.id),
      status: 'approved',
      decided_by: ME.id,
      decided_at: new Date().toISOString(),
    }),
    'POST /api/v1/drafts/{id}/edit': ({ params, body }: MockRequest) => ({
      ...byId.get(params.id),
      status: 'edited',
      decided_by: ME.id,
      sent_text: (body as { text: string }).text,
    }),
    'POST /api/v1/drafts/{id}/reject': ({ params, body }: MockRequest) => ({
      ...byId.get(params.id),
      status: 'rejected',
      decided_by: ME.id,
      decided_at: new Date().toISOString(),
      decision_note: (body as { reason: string }).reason,
    }),
    'GET /api/v1/conversations/{id}/messages': { items: [], next_cursor: null },
    ...overrides,
  } as Parameters<typeof mockApi>[0]);
}

const history = vi.fn((conversationId: string) => <p>history of {conversationId}</p>);
const page = <QueuePage renderHistory={history} />;

// Chakra's auto-growing textarea measures itself; jsdom has no ResizeObserver
class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}

beforeEach(() => {
  signIn();
  vi.stubGlobal('ResizeObserver', NoResizeObserver);
});
afterEach(() => {
  useSession.getState().signOut();
  vi.unstubAllGlobals();
});

describe('QueuePage list', () => {
  it('keeps the server order and slots a live safety draft in at the top without refetching', async () => {
    const { calls } = backend([high, normal]);
    const { transport } = renderWithProviders(page, { route: '/agent' });
    await waitFor(() => expect(rowIds()).toEqual(['d-high', 'd-normal']));
    expect(screen.getAllByTestId('draft-row')[0]).toHaveAttribute('data-priority', 'high');

    act(() => transport.emit('tenant:t1:queue', { type: 'draft.created', draft: safety }));

    await waitFor(() => expect(rowIds()).toEqual(['d-safety', 'd-high', 'd-normal']));
    const top = screen.getAllByTestId('draft-row')[0];
    expect(top).toHaveAttribute('data-category', 'safety_compliance');
    expect(top).toHaveAttribute('data-priority', 'urgent');
    expect(within(top).getByText('Urgent')).toBeInTheDocument();
    expect(within(top).getByText('Safety concern')).toBeInTheDocument();
    expect(listCalls(calls)).toHaveLength(1);
  });

  it('inserts a normal draft by age, after the older ones', async () => {
    backend([high, normal]);
    const { transport } = renderWithProviders(page, { route: '/agent' });
    await waitFor(() => expect(rowIds()).toHaveLength(2));
    const newer = draft({ id: 'd-new', created_at: ago(0) });
    const older = draft({ id: 'd-old', created_at: ago(60) });
    act(() => transport.emit('tenant:t1:queue', { type: 'draft.created', draft: newer }));
    act(() => transport.emit('tenant:t1:queue', { type: 'draft.created', draft: older }));
    await waitFor(() => expect(rowIds()).toEqual(['d-high', 'd-old', 'd-normal', 'd-new']));
  });

  it('removes a draft another agent approved, and shows who is reviewing what', async () => {
    const mine = draft({ id: 'd-mine', claimed_by: ME.id, claim_expires_at: ago(-3) });
    const theirs = draft({ id: 'd-theirs', claimed_by: 'u-other', claim_expires_at: ago(-3) });
    backend([normal, mine, theirs]);
    const { transport } = renderWithProviders(page, { route: '/agent' });
    await waitFor(() => expect(rowIds()).toHaveLength(3));
    const rows = screen.getAllByTestId('draft-row');
    expect(within(rows[1]).getByText('You are reviewing')).toBeInTheDocument();
    expect(within(rows[2]).getByText('Being reviewed by a colleague')).toBeInTheDocument();

    act(() =>
      transport.emit('tenant:t1:queue', {
        type: 'draft.updated',
        draft: { ...normal, status: 'approved', decided_by: 'u-other' },
      }),
    );
    await waitFor(() => expect(rowIds()).toEqual(['d-mine', 'd-theirs']));
  });

  it('says all caught up when nothing waits', async () => {
    backend([]);
    renderWithProviders(page, { route: '/agent' });
    expect(await screen.findByText('All caught up')).toBeInTheDocument();
  });

  it('says what went wrong when the queue cannot load', async () => {
    mockApi({
      'GET /api/v1/drafts': reply(503, {
        code: 'service_unavailable',
        detail: 'The database is down.',
      }),
    });
    renderWithProviders(page, { route: '/agent' });
    expect(await screen.findByText('Could not load the queue.')).toBeInTheDocument();
    expect(screen.getByText('The database is down.')).toBeInTheDocument();
  });

  it('moves through the list with j and k', async () => {
    backend([high, normal]);
    renderWithProviders(page, { route: '/agent' });
    await waitFor(() => expect(rowIds()).toHaveLength(2));
    await userEvent.keyboard('j');
    await waitFor(() =>
      expect(screen.getAllByTestId('draft-row')[0]).toHaveAttribute('aria-selected', 'true'),
    );
    await userEvent.keyboard('j');
    await waitFor(() =>
      expect(screen.getAllByTestId('draft-row')[1]).toHaveAttribute('aria-selected', 'true'),
    );
    await waitFor(() =>
      expect(screen.getByTestId('draft-review')).toHaveAttribute('data-draft-id', 'd-normal'),
    );
    await userEvent.keyboard('k');
    await waitFor(() =>
      expect(screen.getByTestId('draft-review')).toHaveAttribute('data-draft-id', 'd-high'),
    );
  });
});

describe('QueuePage review', () => {
  it('claims the draft, shows the evidence, and approve posts and moves on', async () => {
    const cited = draft({
      id: 'd-normal',
      created_at: ago(30),
      citations: [
        {
          number: 1,
          chunk_id: 'ch1',
          document_id: 'doc1',
          title: 'Returns and refunds',
          section: 'Prescription medicines',
          source_url: 'https://example.test/returns',
          quote: 'Prescription medicines cannot be returned.',
        },
      ],
    });
    const { calls } = backend([high, cited]);
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    const review = await screen.findByTestId('draft-review');
    await waitFor(() =>
      expect(
        calls.some((c) => c.method === 'POST' && c.path === '/api/v1/drafts/d-normal/claim'),
      ).toBe(true),
    );
    expect(within(review).getByText('Can I return opened medicine?')).toBeInTheDocument();
    expect(within(review).getByLabelText('Reply to send')).toHaveValue('Draft text of d-normal');
    expect(within(review).getByText('Returns and refunds').closest('a')).toHaveAttribute(
      'href',
      'https://example.test/returns',
    );
    expect(
      within(review).getByText('Prescription medicines cannot be returned.'),
    ).toBeInTheDocument();
    expect(within(review).getByText('retrieval: 5 passages')).toBeInTheDocument();
    expect(history).toHaveBeenCalledWith('conv-d-normal');

    await userEvent.click(await within(review).findByRole('button', { name: 'Approve and send' }));

    await waitFor(() =>
      expect(
        calls.some((c) => c.method === 'POST' && c.path === '/api/v1/drafts/d-normal/approve'),
      ).toBe(true),
    );
    await waitFor(() => expect(rowIds()).toEqual(['d-high']));
    // on to the next draft
    await waitFor(() =>
      expect(screen.getByTestId('draft-review')).toHaveAttribute('data-draft-id', 'd-high'),
    );
    expect(calls.some((c) => c.path === '/api/v1/drafts/d-normal/release')).toBe(false);
  });

  it('approves with the a key when focus is not in a text field', async () => {
    const { calls } = backend([normal]);
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    await screen.findByRole('button', { name: 'Approve and send' });
    const review = await screen.findByTestId('draft-review');
    await waitFor(() => expect(within(review).getByText('You are reviewing')).toBeInTheDocument());
    await userEvent.click(screen.getByLabelText('Reply to send'));
    await userEvent.keyboard('a'); // typed into the draft: not a shortcut
    expect(calls.some((c) => c.path.endsWith('/approve'))).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Undo edits' }));
    expect(screen.getByLabelText('Reply to send')).toHaveValue('Draft text of d-normal');
    await userEvent.click(document.body);
    await userEvent.keyboard('a');
    await waitFor(() =>
      expect(calls.some((c) => c.path === '/api/v1/drafts/d-normal/approve')).toBe(true),
    );
  });

  it('switches to "Send edited" once the text changes and posts the new text', async () => {
    const { calls } = backend([normal]);
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    const box = await screen.findByLabelText('Reply to send');
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Approve and send' })).toBeEnabled(),
    );
    await userEvent.clear(box);
    await userEvent.type(box, 'Yes, bring it back within 30 days.');
    expect(screen.queryByRole('button', { name: 'Approve and send' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Send edited' }));
    await waitFor(() => {
      const edit = calls.find((c) => c.path === '/api/v1/drafts/d-normal/edit');
      expect(edit?.body).toEqual({ text: 'Yes, bring it back within 30 days.' });
    });
    expect(calls.some((c) => c.path.endsWith('/approve'))).toBe(false);
  });

  it('rejects only with a reason', async () => {
    const { calls } = backend([normal]);
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Reject' })).toBeEnabled());
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await userEvent.click(screen.getByRole('button', { name: 'Reject draft' }));
    expect(
      await screen.findByText('Say why: the reason is kept with the draft.'),
    ).toBeInTheDocument();
    expect(calls.some((c) => c.path.endsWith('/reject'))).toBe(false);

    await userEvent.type(screen.getByLabelText(/Reason for rejecting/), 'Wrong branch hours');
    await userEvent.click(screen.getByRole('button', { name: 'Reject draft' }));
    await waitFor(() => {
      const reject = calls.find((c) => c.path === '/api/v1/drafts/d-normal/reject');
      expect(reject?.body).toEqual({ reason: 'Wrong branch hours' });
    });
    expect(
      await screen.findByText('You rejected this draft', { exact: false }),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Ask AI again' })).toBeInTheDocument();
  });

  it('asks the AI again: rejects with the hint, retries and opens the new draft', async () => {
    const fresh = draft({
      id: 'd-fresh',
      reason: 'agent_retry',
      retry_of: 'd-normal',
      hint: 'Sunday hours',
    });
    const { calls } = backend([normal, fresh], {
      'POST /api/v1/drafts/{id}/retry': () => reply(201, fresh),
    });
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Ask AI again' })).toBeEnabled());
    await userEvent.click(screen.getByRole('button', { name: 'Ask AI again' }));
    await userEvent.type(screen.getByLabelText(/Hint for the AI/), 'Sunday hours');
    await userEvent.click(screen.getByRole('button', { name: 'Write a new draft' }));
    await waitFor(() =>
      expect(screen.getByTestId('draft-review')).toHaveAttribute('data-draft-id', 'd-fresh'),
    );
    const paths = calls.filter((c) => c.method === 'POST').map((c) => c.path);
    expect(paths).toContain('/api/v1/drafts/d-normal/reject');
    expect(calls.find((c) => c.path === '/api/v1/drafts/d-normal/retry')?.body).toEqual({
      hint: 'Sunday hours',
    });
  });

  it('is read-only when a colleague holds the draft (409 draft_claimed)', async () => {
    const { calls } = backend([normal], {
      'POST /api/v1/drafts/{id}/claim': reply(409, {
        code: 'draft_claimed',
        detail: 'another agent (u-other) is working on this draft',
        claimed_by: 'u-other',
        claim_expires_at: new Date(Date.now() + 240_000).toISOString(),
      }),
    });
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    expect(await screen.findByText('A colleague is reviewing this draft.')).toBeInTheDocument();
    expect(screen.getByLabelText('Reply to send')).toHaveAttribute('readonly');
    expect(screen.queryByRole('button', { name: 'Approve and send' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Reject' })).not.toBeInTheDocument();
    await userEvent.keyboard('a');
    expect(calls.some((c) => c.path.endsWith('/approve'))).toBe(false);
  });

  it('says who decided first when the approve comes too late (409 draft_decided)', async () => {
    let decided = false;
    backend([normal], {
      'GET /api/v1/drafts/{id}': () =>
        detail(
          decided
            ? {
                ...normal,
                status: 'approved',
                decided_by: 'u-other',
                decided_at: new Date().toISOString(),
              }
            : normal,
        ),
      'POST /api/v1/drafts/{id}/approve': () => {
        decided = true;
        return reply(409, {
          code: 'draft_decided',
          detail: 'the draft is already approved',
          decided_by: 'u-other',
        });
      },
    });
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Approve and send' })).toBeEnabled(),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Approve and send' }));
    expect(
      await screen.findByText('A colleague approved this draft', { exact: false }),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next draft' })).toBeInTheDocument();
  });

  it('releases the claim when the reviewer leaves the draft', async () => {
    const { calls } = backend([high, normal]);
    renderWithProviders(page, { route: '/agent?draft=d-normal' });
    await waitFor(() =>
      expect(calls.some((c) => c.path === '/api/v1/drafts/d-normal/claim')).toBe(true),
    );
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Approve and send' })).toBeEnabled(),
    );
    await userEvent.click(screen.getAllByTestId('draft-row')[0]);
    await waitFor(() =>
      expect(calls.some((c) => c.path === '/api/v1/drafts/d-normal/release')).toBe(true),
    );
    await waitFor(() =>
      expect(calls.some((c) => c.path === '/api/v1/drafts/d-high/claim')).toBe(true),
    );
  });
});
