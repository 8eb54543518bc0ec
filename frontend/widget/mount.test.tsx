import { act, fireEvent, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MockRequest, mockApi, reply } from '@/test/api-mock';
import { FakeTransport } from '@/test/fake-transport';
import { mountWidget, type WidgetHandle } from './mount';
import { CONVERSATION_ID, conversation, message, tokens, widgetConfig } from './test-data';

let handle: WidgetHandle | null = null;
let hostStyle: HTMLStyleElement | null = null;

async function mount(transport = new FakeTransport()) {
  await act(async () => {
    handle = mountWidget({
      tenant: 'demo',
      apiBase: 'http://api.test',
      createTransport: () => transport,
      storage: window.localStorage,
    });
    await handle.ready;
  });
  const widget = handle as WidgetHandle;
  // the React container inside the shadow root (Testing Library wants an element)
  const container = widget.shadowRoot.querySelector('div') as HTMLElement;
  return { widget, ui: within(container), transport };
}

/**
 * user-event's typing does not reach React's onChange inside a shadow root under jsdom (it does
 * in browsers): the text goes in with a change event, the keys with user-event.
 */
const typeInto = (input: HTMLElement, text: string) =>
  fireEvent.change(input, { target: { value: text } });

const backend = (overrides: Parameters<typeof mockApi>[0] = {}) =>
  mockApi({
    'GET /api/v1/widget/config/{tenant}': widgetConfig,
    'POST /api/v1/widget/session': reply(201, tokens()),
    'POST /api/v1/conversations': reply(201, conversation()),
    'POST /api/v1/conversations/{id}/messages': ({ body }: MockRequest) => {
      const { text, client_message_id } = body as { text: string; client_message_id: string };
      return reply(201, message({ id: 'q1', text, client_message_id }));
    },
    ...overrides,
  });

afterEach(() => {
  act(() => handle?.unmount());
  handle = null;
  hostStyle?.remove();
  hostStyle = null;
  window.localStorage.clear();
  vi.unstubAllGlobals();
});

describe('the widget on a page', () => {
  it('lives in an open shadow root, with its CSS inside and nothing in the page’s DOM', async () => {
    // jsdom applies document styles inside shadow trees (browsers do not), so the computed-style
    // half of this is checked in Chromium; here: what the page's selectors could ever match
    hostStyle = document.createElement('style');
    hostStyle.textContent = 'button, div, p, textarea { display: none !important; }';
    document.head.append(hostStyle);
    backend();
    const { widget } = await mount();
    await waitFor(() =>
      expect(widget.shadowRoot.querySelector('[data-cc=launcher]')).not.toBeNull(),
    );
    const launcher = widget.shadowRoot.querySelector('[data-cc=launcher]') as HTMLElement;
    expect(launcher.getRootNode()).toBe(widget.shadowRoot);
    expect(widget.host.shadowRoot).toBe(widget.shadowRoot); // open
    expect(widget.host.tagName).toBe('CONTACT-CENTER-WIDGET'); // no div, p or button selector
    expect(document.querySelectorAll('button, textarea, [data-cc]')).toHaveLength(0);
    expect(document.querySelectorAll('style')).toHaveLength(1); // only the page's own
    const css = widget.shadowRoot.querySelector('style')?.textContent ?? '';
    expect(css).toContain(':host');
    expect(css).toContain('all: initial');
    const root = widget.shadowRoot.querySelector('.cc-root') as HTMLElement;
    expect(root.style.getPropertyValue('--cc-brand')).toBe('#0f766e');
  });

  it('shows nothing for a tenant that does not exist', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    backend({
      'GET /api/v1/widget/config/{tenant}': reply(404, { code: 'tenant_not_found', detail: 'no' }),
    });
    const { widget } = await mount();
    expect(widget.shadowRoot.querySelector('[data-cc=launcher]')).toBeNull();
    expect(error).toHaveBeenCalledWith(expect.stringContaining('data-tenant'));
    error.mockRestore();
  });

  it('opens a labelled dialog from the launcher and sends the typed text with Enter', async () => {
    const { calls } = backend();
    const { widget, ui } = await mount();
    const user = userEvent.setup();
    const launcher = await ui.findByRole('button', { name: 'Chat with Demo Pharmacy' });
    expect(launcher).toHaveAttribute('aria-expanded', 'false');
    await user.click(launcher);

    const dialog = ui.getByRole('dialog');
    expect(dialog).toHaveAttribute('data-cc', 'panel');
    expect(within(dialog).getByRole('heading', { name: 'Demo Pharmacy' })).toBeInTheDocument();
    expect(launcher).toHaveAttribute('aria-expanded', 'true');
    expect(ui.getByText(widgetConfig.greeting)).toBeInTheDocument();
    const input = ui.getByRole('textbox', { name: 'Message' });
    expect(widget.shadowRoot.activeElement).toBe(input);
    expect(ui.getByRole('log')).toHaveAttribute('aria-live', 'polite');

    typeInto(input, 'What are your opening hours?');
    // Shift+Enter is left to the browser (a new line); Enter sends
    expect(fireEvent.keyDown(input, { key: 'Enter', shiftKey: true })).toBe(true);
    expect(calls.some((c) => c.path.endsWith('/messages'))).toBe(false);
    typeInto(input, 'What are your opening hours?\nThanks');
    await user.keyboard('{Enter}');

    await waitFor(() =>
      expect(calls.find((c) => c.path.endsWith('/messages'))?.body).toMatchObject({
        text: 'What are your opening hours?\nThanks',
      }),
    );
    expect(input).toHaveValue('');
    const bubble = await ui.findByText(/What are your opening hours\?/, {
      selector: '[data-cc=message] *, [data-cc=message]',
    });
    expect(bubble.closest('[data-cc=message]')).toHaveAttribute('data-author', 'customer');
    await waitFor(() => expect(ui.getByText(/^Sent/)).toBeInTheDocument());
  });

  it('closes with Esc and gives focus back to the launcher', async () => {
    backend();
    const { widget, ui } = await mount();
    const user = userEvent.setup();
    const launcher = await ui.findByRole('button', { name: 'Chat with Demo Pharmacy' });
    await user.click(launcher);
    await user.keyboard('{Escape}');
    expect(ui.queryByRole('dialog')).toBeNull();
    expect(widget.shadowRoot.activeElement).toBe(launcher);
  });

  it('shows a failed message with a retry that sends it again', async () => {
    let ok = false;
    const { calls } = backend({
      'POST /api/v1/conversations/{id}/messages': ({ body }: MockRequest) =>
        ok
          ? reply(
              201,
              message({
                client_message_id: (body as { client_message_id: string }).client_message_id,
                text: 'Hi',
              }),
            )
          : reply(429, { code: 'rate_limited', detail: 'slow down' }, { 'retry-after': '3' }),
    });
    const { ui } = await mount();
    const user = userEvent.setup();
    await user.click(await ui.findByRole('button', { name: 'Chat with Demo Pharmacy' }));
    typeInto(ui.getByRole('textbox', { name: 'Message' }), 'Hi');
    await user.keyboard('{Enter}');
    expect(await ui.findByText(/Not sent/)).toBeInTheDocument();
    expect(ui.getByText(/Try again in 3 s/)).toBeInTheDocument();
    ok = true;
    await user.click(ui.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(ui.queryByText(/Not sent/)).toBeNull());
    const bodies = calls.filter((c) => c.path.endsWith('/messages')).map((c) => c.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toEqual(bodies[0]);
  });

  it('streams the reply, shows typing, the review state and the reconnecting line', async () => {
    window.localStorage.setItem(
      'cc-widget:demo',
      JSON.stringify({
        tokens: { access_token: 'a', refresh_token: 'r', expires_at: Date.now() / 1000 + 900 },
        conversationId: CONVERSATION_ID,
      }),
    );
    backend({
      'GET /api/v1/conversations/{id}': conversation(),
      'GET /api/v1/conversations/{id}/messages': {
        items: [message({ id: 'q1', text: 'Opening hours?' })],
        next_cursor: null,
      },
    });
    const transport = new FakeTransport();
    const { widget, ui } = await mount(transport);
    const topic = `conversation:${CONVERSATION_ID}`;
    act(() => widget.open());
    expect(await ui.findByText('Opening hours?')).toBeInTheDocument();

    act(() =>
      transport.emit(topic, {
        type: 'ai.typing',
        conversation_id: CONVERSATION_ID,
        message_id: 'q1',
        typing: true,
      }),
    );
    expect(ui.getByText('Mira is typing…').closest('[data-cc=typing]')).not.toBeNull();

    act(() => {
      for (const [seq, delta] of [
        [1, 'open '],
        [0, 'We are '],
      ] as const) {
        transport.emit(topic, {
          type: 'ai.reply.delta',
          conversation_id: CONVERSATION_ID,
          message_id: 'q1',
          seq,
          delta,
        });
      }
    });
    const streaming = widget.shadowRoot.querySelector('[data-streaming=true]');
    expect(streaming).toHaveTextContent('We are open');
    expect(widget.shadowRoot.querySelector('[data-cc=typing]')).toBeNull();

    act(() =>
      transport.emit(topic, {
        type: 'message.created',
        message: message({
          id: 'a1',
          author_kind: 'ai',
          text: 'We are open 9 to 6.',
          metadata: { in_reply_to: 'q1' },
        }),
      }),
    );
    expect(widget.shadowRoot.querySelector('[data-streaming=true]')).toBeNull();
    expect(ui.getByText('We are open 9 to 6.').closest('[data-cc=message]')).toHaveAttribute(
      'data-author',
      'ai',
    );

    act(() =>
      transport.emit(topic, {
        type: 'conversation.updated',
        conversation: conversation({ status: 'pending_human' }),
      }),
    );
    expect(widget.shadowRoot.querySelector('[data-cc=review-state]')).toHaveTextContent(
      'A person from Demo Pharmacy is reviewing your question',
    );

    act(() => transport.status.emit('reconnecting'));
    expect(widget.shadowRoot.querySelector('[data-cc=connection]')).toHaveTextContent(
      'Reconnecting…',
    );

    act(() =>
      transport.emit(topic, {
        type: 'conversation.updated',
        conversation: conversation({ status: 'resolved' }),
      }),
    );
    expect(widget.shadowRoot.querySelector('[data-cc=review-state]')).toBeNull();
    expect(ui.getByText(/This conversation has ended/)).toBeInTheDocument();
  });

  it('exposes open() for the page’s own buttons', async () => {
    backend();
    const { widget, ui } = await mount();
    await ui.findByRole('button', { name: 'Chat with Demo Pharmacy' });
    act(() => widget.open());
    expect(ui.getByRole('dialog')).toBeInTheDocument();
    act(() => widget.close());
    expect(ui.queryByRole('dialog')).toBeNull();
  });
});
