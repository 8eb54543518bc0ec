import { createRoot } from 'react-dom/client';
import { realtimeUrl, WebSocketTransport } from '@/lib/realtime/websocket';
import { WidgetApi } from './api';
import { App } from './components/app';
import { type TransportFactory, WidgetController } from './controller';
import { browserStorage, type KeyValueStore, WidgetSession } from './session';
import { WIDGET_CSS } from './styles';

export interface MountOptions {
  tenant: string;
  /** The API's address ('' = this page's origin). */
  apiBase: string;
  /** Where the host element goes (default: document.body). */
  target?: HTMLElement;
  /** For tests: a fake realtime connection. */
  createTransport?: TransportFactory;
  storage?: KeyValueStore;
}

export interface WidgetHandle {
  host: HTMLElement;
  shadowRoot: ShadowRoot;
  controller: WidgetController;
  ready: Promise<void>;
  open(): void;
  close(): void;
  toggle(): void;
  unmount(): void;
}

export const HOST_TAG = 'contact-center-widget';

/**
 * Mount the widget in its own element with an open shadow root: the host page's CSS cannot
 * style what is inside, and the widget's CSS (one <style> in the root) cannot leak out.
 */
export function mountWidget({
  tenant,
  apiBase,
  target = document.body,
  createTransport,
  storage = browserStorage(),
}: MountOptions): WidgetHandle {
  const api = new WidgetApi(apiBase);
  const session = new WidgetSession(tenant, api, storage);
  const transports: TransportFactory =
    createTransport ??
    ((getToken) => new WebSocketTransport({ url: realtimeUrl(apiBase), getToken }));
  const controller = new WidgetController(tenant, api, session, transports);

  const host = document.createElement(HOST_TAG);
  host.setAttribute('data-tenant', tenant);
  const shadowRoot = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = WIDGET_CSS;
  const container = document.createElement('div');
  shadowRoot.append(style, container);
  target.appendChild(host);

  const root = createRoot(container);
  root.render(<App controller={controller} />);
  const ready = controller.start();

  return {
    host,
    shadowRoot,
    controller,
    ready,
    open: () => controller.setOpen(true),
    close: () => controller.setOpen(false),
    toggle: () => controller.setOpen(!controller.getState().open),
    unmount: () => {
      root.unmount();
      controller.dispose();
      host.remove();
    },
  };
}
