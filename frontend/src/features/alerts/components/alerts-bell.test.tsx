import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Toaster, toaster } from '@/components/toaster';
import { renderWithProviders } from '@/test/render';
import { useAlertsStore } from '../hooks/alerts-store';
import { AlertsBell } from './alerts-bell';

// the popover follows its trigger's size; jsdom has no ResizeObserver
class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
beforeEach(() => vi.stubGlobal('ResizeObserver', NoResizeObserver));

afterEach(() => {
  vi.unstubAllGlobals();
  useAlertsStore.setState({ items: [] });
  toaster.remove();
});

const raise = (
  kind: 'safety' | 'ai_failure' | 'injection' | 'escalation',
  summary: string,
  detail: string | null = null,
) => ({
  type: 'alert.raised' as const,
  alert: { kind, conversation_id: `conv-${kind}`, message_id: 'm1', summary, detail },
});

describe('AlertsBell', () => {
  it('counts raised alerts, toasts them and lists them newest first', async () => {
    const { transport } = renderWithProviders(
      <>
        <AlertsBell tenantId="t1" />
        <Toaster />
      </>,
    );
    expect(transport.topics()).toContain('tenant:t1:queue');
    expect(screen.getByRole('button', { name: 'Alerts' })).toBeInTheDocument();

    act(() =>
      transport.emit('tenant:t1:queue', raise('safety', 'Safety-related message: urgent review.')),
    );
    act(() =>
      transport.emit(
        'tenant:t1:queue',
        raise('ai_failure', 'The AI could not answer.', 'respond: provider timed out after 20 s'),
      ),
    );
    // other queue traffic is not an alert
    act(() =>
      transport.emit('tenant:t1:queue', {
        type: 'ai.typing',
        conversation_id: 'c',
        message_id: 'm',
        typing: true,
      }),
    );

    expect(screen.getByRole('button', { name: 'Alerts, 2 unread' })).toBeInTheDocument();
    // the toasts (safety as an error, the failure as a warning)
    expect((await screen.findAllByText('Safety alert'))[0]).toBeInTheDocument();
    expect((await screen.findAllByText('The AI could not answer'))[0]).toBeInTheDocument();
    expect(toaster.getVisibleToasts().map((t) => t.type)).toEqual(
      expect.arrayContaining(['error', 'warning']),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Alerts, 2 unread' }));
    const list = await screen.findByRole('list', { name: 'Recent alerts' });
    const items = within(list).getAllByTestId('alert-item');
    expect(items.map((i) => i.dataset.kind)).toEqual(['ai_failure', 'safety']);
    expect(
      within(items[0]).getByText('respond: provider timed out after 20 s'),
    ).toBeInTheDocument();
    expect(within(items[1]).getByRole('link', { name: /Open the conversation/ })).toHaveAttribute(
      'href',
      '/agent/conversations/conv-safety',
    );
    // opened: read
    await waitFor(() => expect(screen.getByRole('button', { name: 'Alerts' })).toBeInTheDocument());
  });

  it('shows an empty list when nothing was raised', async () => {
    renderWithProviders(<AlertsBell tenantId="t1" />);
    await userEvent.click(screen.getByRole('button', { name: 'Alerts' }));
    expect(await screen.findByText('No alerts')).toBeInTheDocument();
  });
});
