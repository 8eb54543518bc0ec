import { mountWidget, type WidgetHandle } from './mount';

/**
 * The widget's entry: `<script src="https://contact-center/widget.js" data-tenant="demo">`.
 * `data-api` names the API when it is not where the script came from. The page can open the
 * chat itself: `ContactCenterWidget.open()` (the IIFE's global, see vite.widget.config.ts).
 */
const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-tenant][src*="widget.js"]');

declare global {
  interface Window {
    __contactCenterWidget?: WidgetHandle;
  }
}

function apiBaseOf(element: HTMLScriptElement | null): string {
  const explicit = element?.dataset.api?.trim();
  if (explicit) return explicit.replace(/\/+$/, '');
  try {
    return element?.src ? new URL(element.src, window.location.href).origin : '';
  } catch {
    return '';
  }
}

function boot(): WidgetHandle | null {
  if (window.__contactCenterWidget !== undefined) return window.__contactCenterWidget; // twice on a page
  const tenant = script?.dataset.tenant?.trim();
  if (!tenant) {
    console.error('Contact center widget: add data-tenant="<your tenant>" to its script tag.');
    return null;
  }
  const handle = mountWidget({ tenant, apiBase: apiBaseOf(script) });
  window.__contactCenterWidget = handle;
  return handle;
}

let handle: WidgetHandle | null = null;
const whenReady = (run: () => void) => {
  if (document.body !== null) run();
  else document.addEventListener('DOMContentLoaded', run, { once: true });
};
whenReady(() => {
  handle = boot();
});

/** Open the chat panel (for a "Chat with us" button on the page). */
export function open(): void {
  handle?.open();
}

/** Close the chat panel. */
export function close(): void {
  handle?.close();
}

/** Open or close the chat panel. */
export function toggle(): void {
  handle?.toggle();
}
