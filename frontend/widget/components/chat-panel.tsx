import { type KeyboardEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { Citation, WidgetConfig } from '../api';
import type { WidgetController, WidgetState } from '../controller';
import { isClosed } from '../store';
import { Composer } from './composer';
import { ChevronDownIcon, InfoIcon, PersonIcon } from './icons';
import { MessageList } from './message-list';
import type { OnCite } from './rich-text';
import { SourcePanel } from './source-panel';

export interface Branding extends WidgetConfig {
  /** logo_url and privacy_url resolved against the API's address. */
  logo: string | null;
  privacy: string | null;
}

function Logo({ branding }: { branding: Branding }) {
  const [broken, setBroken] = useState(false);
  if (branding.logo === null || broken) {
    return (
      <span className="cc-logo cc-logo-fallback" aria-hidden="true">
        {branding.name.slice(0, 1).toUpperCase()}
      </span>
    );
  }
  return <img className="cc-logo" src={branding.logo} alt="" onError={() => setBroken(true)} />;
}

function StateBanner({ state, name }: { state: WidgetState; name: string }) {
  if (isClosed(state.status)) {
    return (
      <p className="cc-banner" data-tone="closed" data-cc="closed" role="status">
        <InfoIcon />
        <span>This conversation has ended. Write below to start a new one.</span>
      </p>
    );
  }
  if (state.status !== 'pending_human') return null;
  return (
    <p className="cc-banner" data-tone="review" data-cc="review-state" role="status">
      <PersonIcon />
      <span>
        {state.aiPaused
          ? `A person from ${name} has joined the conversation and will answer here.`
          : `A person from ${name} is reviewing your question — you'll get the answer here.`}
      </span>
    </p>
  );
}

export function ChatPanel({
  controller,
  state,
  branding,
  onClose,
}: {
  controller: WidgetController;
  state: WidgetState;
  branding: Branding;
  onClose: () => void;
}) {
  const titleId = useId();
  const input = useRef<HTMLTextAreaElement>(null);
  const [source, setSource] = useState<{ citation: Citation; from: HTMLElement } | null>(null);

  const chat = useRef<HTMLDivElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  // while a source is open, the conversation under it is out of reach (tab, screen reader)
  useEffect(() => {
    chat.current?.toggleAttribute('inert', source !== null);
  }, [source]);

  const openSource: OnCite = useCallback((citation, from) => setSource({ citation, from }), []);
  const closeSource = useCallback(() => {
    const from = source?.from;
    setSource(null);
    // back to the citation that opened it (or the message box if it has gone)
    setTimeout(() => (from?.isConnected ? from : input.current)?.focus(), 0);
  }, [source]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    if (source !== null) closeSource();
    else onClose();
  };

  const reconnecting = state.connection === 'reconnecting';

  return (
    <div
      className="cc-panel"
      data-cc="panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
    >
      <header className="cc-header">
        <Logo branding={branding} />
        <div className="cc-heading">
          <h2 id={titleId} className="cc-title">
            {branding.name}
          </h2>
          <p className="cc-subtitle">
            <span className="cc-dot" aria-hidden="true" />
            {state.status === 'pending_human'
              ? `${branding.assistant_name} · our team is on it`
              : `${branding.assistant_name}, AI assistant · replies in seconds`}
          </p>
        </div>
        <button type="button" className="cc-icon-button" aria-label="Close chat" onClick={onClose}>
          <ChevronDownIcon />
        </button>
      </header>
      {reconnecting && (
        <div className="cc-connection" data-cc="connection" role="status">
          <span className="cc-spinner" aria-hidden="true" />
          Reconnecting…
        </div>
      )}
      <div className="cc-body">
        <div ref={chat} className="cc-chat">
          <MessageList
            state={state}
            config={branding}
            onCite={openSource}
            onRetry={controller.retry}
            onRetryHistory={controller.retryHistory}
          />
          <StateBanner state={state} name={branding.name} />
          <Composer
            inputRef={input}
            assistantName={branding.assistant_name}
            privacyUrl={branding.privacy}
            onSend={controller.send}
          />
        </div>
        {source !== null && <SourcePanel citation={source.citation} onClose={closeSource} />}
      </div>
    </div>
  );
}
