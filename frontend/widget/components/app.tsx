import { type CSSProperties, useEffect, useId, useRef, useSyncExternalStore } from 'react';
import type { WidgetApi, WidgetConfig } from '../api';
import type { WidgetController } from '../controller';
import { brandColors, cssVariables } from '../theme';
import { type Branding, ChatPanel } from './chat-panel';
import { ChatIcon, CloseIcon } from './icons';

const resolve = (api: WidgetApi, url: string | null | undefined): string | null => {
  if (!url) return null;
  try {
    const base = api.base || window.location.origin;
    const resolved = new URL(url, `${base.replace(/\/+$/, '')}/`);
    return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : null;
  } catch {
    return null;
  }
};

/** When the branding could not be loaded (offline): the launcher still works, and says so. */
const fallbackConfig = (tenant: string): WidgetConfig => ({
  tenant,
  name: 'Chat',
  assistant_name: 'Our assistant',
  greeting: 'Hi! How can we help?',
  brand_color: '#0f766e',
});

export function App({ controller }: { controller: WidgetController }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const launcher = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(state.open);
  const unreadId = useId();

  // focus goes back to the launcher when the panel closes
  useEffect(() => {
    if (wasOpen.current && !state.open) launcher.current?.focus();
    wasOpen.current = state.open;
  }, [state.open]);

  const { config: configState } = state;
  // a tenant that does not exist shows nothing (the site's owner sees the console error)
  if (configState.status === 'loading') return null;
  if (configState.status === 'error' && configState.missing) return null;
  const config =
    configState.status === 'ready' ? configState.config : fallbackConfig(controller.tenant);
  const branding: Branding = {
    ...config,
    logo: resolve(controller.api, config.logo_url),
    privacy: resolve(controller.api, config.privacy_url),
  };
  const style = cssVariables(brandColors(config.brand_color)) as CSSProperties;
  const close = () => controller.setOpen(false);

  return (
    <div className="cc-root" style={style} data-open={state.open}>
      {state.open &&
        (configState.status === 'error' ? (
          <div className="cc-panel" data-cc="panel" role="dialog" aria-label="Chat">
            <div className="cc-empty-state" role="alert">
              <strong>The chat couldn't start</strong>
              {configState.error}
              <br />
              <button type="button" onClick={controller.retryConfig}>
                Try again
              </button>
            </div>
          </div>
        ) : (
          <ChatPanel controller={controller} state={state} branding={branding} onClose={close} />
        ))}
      <button
        ref={launcher}
        type="button"
        className="cc-launcher"
        data-cc="launcher"
        aria-label={`Chat with ${config.name}`}
        aria-expanded={state.open}
        aria-describedby={state.unread > 0 ? unreadId : undefined}
        onClick={() => controller.setOpen(!state.open)}
      >
        {state.open ? <CloseIcon /> : <ChatIcon />}
        {state.unread > 0 && !state.open && (
          <span className="cc-badge" aria-hidden="true">
            {state.unread > 9 ? '9+' : state.unread}
          </span>
        )}
      </button>
      <span id={unreadId} className="cc-sr-only">
        {state.unread === 1 ? '1 new message' : `${state.unread} new messages`}
      </span>
    </div>
  );
}
