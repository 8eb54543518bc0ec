import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockApi, reply } from '@/test/api-mock';
import { FakeTransport } from '@/test/fake-transport';
import { RichText } from './components/rich-text';
import { mountWidget, type WidgetHandle } from './mount';
import {
  CONVERSATION_ID,
  conversation,
  message,
  openingHoursCitation,
  tokens,
  widgetConfig,
} from './test-data';

let handle: WidgetHandle | null = null;

afterEach(() => {
  act(() => handle?.unmount());
  handle = null;
  window.localStorage.clear();
  vi.unstubAllGlobals();
});

const deliveryCitation = {
  ...openingHoursCitation,
  number: 2,
  chunk_id: 'chunk-2',
  title: 'Home delivery',
  section: null,
  source_url: null,
  quote: 'Same-day delivery when you order by 2 p.m.',
};

async function mountWithAnswer() {
  window.localStorage.setItem(
    'cc-widget:demo',
    JSON.stringify({
      tokens: { access_token: 'a', refresh_token: 'r', expires_at: Date.now() / 1000 + 900 },
      conversationId: CONVERSATION_ID,
    }),
  );
  mockApi({
    'GET /api/v1/widget/config/{tenant}': widgetConfig,
    'POST /api/v1/widget/session': reply(201, tokens()),
    'GET /api/v1/conversations/{id}': conversation(),
    'GET /api/v1/conversations/{id}/messages': {
      items: [
        message({ id: 'q1', text: 'Are you open on Saturday?' }),
        message({
          id: 'a1',
          author_kind: 'ai',
          text: 'Saturday 9 a.m. to 6 p.m. [1], and we deliver the same day [2].',
          metadata: { in_reply_to: 'q1', citations: [openingHoursCitation, deliveryCitation] },
        }),
      ],
      next_cursor: null,
    },
  });
  await act(async () => {
    handle = mountWidget({
      tenant: 'demo',
      apiBase: 'http://api.test',
      createTransport: () => new FakeTransport(),
      storage: window.localStorage,
    });
    await handle.ready;
  });
  const widget = handle as unknown as WidgetHandle;
  act(() => widget.open());
  const ui = within(widget.shadowRoot.querySelector('div') as HTMLElement);
  await ui.findByText(/Saturday 9 a.m./);
  return { widget, ui };
}

describe('citations', () => {
  it('turns [n] markers into source buttons and lists the sources under the answer', async () => {
    const { widget, ui } = await mountWithAnswer();
    const bubble = widget.shadowRoot.querySelector('[data-author=ai]') as HTMLElement;
    const buttons = within(bubble).getAllByRole('button', { name: /^Source \d/ });
    // two inline markers, two chips in the Sources row
    expect(buttons.map((b) => b.getAttribute('data-citation'))).toEqual(['1', '2', '1', '2']);
    expect(buttons.every((b) => b.dataset.cc === 'citation')).toBe(true);
    expect(bubble).not.toHaveTextContent('[1]');
    expect(within(bubble).getByText('Sources')).toBeInTheDocument();
    expect(ui.getAllByRole('button', { name: 'Source 1: Opening hours' })).toHaveLength(2);
  });

  it('opens the source with its passage and a link, and goes back to the citation', async () => {
    const { widget, ui } = await mountWithAnswer();
    const user = userEvent.setup();
    const marker = ui.getAllByRole('button', { name: 'Source 1: Opening hours' })[0];
    await user.click(marker);

    const panel = ui.getByRole('dialog', { name: 'Opening hours' });
    expect(panel).toHaveAttribute('data-cc', 'source-panel');
    expect(within(panel).getByText('Store hours > Weekends')).toBeInTheDocument();
    expect(within(panel).getByText('Saturday: 9:00 a.m. to 6:00 p.m.')).toBeInTheDocument();
    const link = within(panel).getByRole('link', { name: /Open source/ });
    expect(link).toHaveAttribute('href', 'https://pharmacy.example.com/opening-hours');
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', expect.stringContaining('noopener'));

    // Esc closes the source first, not the chat; focus returns to the citation
    await user.keyboard('{Escape}');
    expect(ui.queryByRole('dialog', { name: 'Opening hours' })).toBeNull();
    expect(widget.shadowRoot.querySelector('[data-cc=panel]')).not.toBeNull();
    await waitFor(() => expect(widget.shadowRoot.activeElement).toBe(marker));
  });

  it('shows a source without an address without a link', async () => {
    const { ui } = await mountWithAnswer();
    const user = userEvent.setup();
    await user.click(ui.getAllByRole('button', { name: 'Source 2: Home delivery' })[1]);
    const panel = ui.getByRole('dialog', { name: 'Home delivery' });
    expect(within(panel).queryByRole('link')).toBeNull();
    expect(
      within(panel).getByText('Same-day delivery when you order by 2 p.m.'),
    ).toBeInTheDocument();
  });
});

describe('message text', () => {
  it('is text, never HTML, and links only http(s) addresses', () => {
    render(
      <p>
        <RichText
          text={
            '<img src=x onerror="alert(1)"> see javascript:alert(1) or https://example.com/a?b=1. [3]'
          }
        />
      </p>,
    );
    expect(document.querySelector('img')).toBeNull();
    expect(screen.getByText(/<img src=x/)).toBeInTheDocument();
    const links = screen.getAllByRole('link');
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute('href', 'https://example.com/a?b=1');
    expect(links[0]).toHaveAttribute('rel', 'noopener noreferrer nofollow');
    // a marker without a citation stays as it was written
    expect(screen.getByText(/\[3\]/)).toBeInTheDocument();
  });
});
