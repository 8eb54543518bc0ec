import { Fragment, useLayoutEffect, useRef } from 'react';
import type { WidgetConfig } from '../api';
import type { WidgetState } from '../controller';
import { type ChatMessage, citationsOf, type ReplyStream, streamText } from '../store';
import { type OnCite, RichText } from './rich-text';

const timeOf = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
};

const agentName = (message: Pick<ChatMessage, 'metadata'>): string | null => {
  const { metadata } = message;
  for (const key of ['author_name', 'agent_name', 'display_name']) {
    const value = metadata[key];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return null;
};

/** Who is speaking, for grouping consecutive bubbles under one label. */
const speaker = (message: ChatMessage) =>
  message.author === 'agent' ? `agent:${agentName(message) ?? ''}` : message.author;

function StaffLabel({
  message,
  config,
}: {
  message: Pick<ChatMessage, 'author' | 'metadata' | 'createdAt'>;
  config: WidgetConfig;
}) {
  const time = timeOf(message.createdAt);
  if (message.author === 'agent') {
    const name = agentName(message);
    return (
      <div className="cc-author">
        <strong>{name ?? 'Agent'}</strong>
        <span className="cc-tag">{name ? 'Agent' : config.name}</span>
        {time && <time dateTime={message.createdAt}>{time}</time>}
      </div>
    );
  }
  const checked = typeof message.metadata.approved_by === 'string';
  return (
    <div className="cc-author">
      <strong>{config.assistant_name}</strong>
      <span className="cc-tag" title="An AI assistant">
        AI
      </span>
      {checked && <span>· checked by our team</span>}
      {time && <time dateTime={message.createdAt}>{time}</time>}
    </div>
  );
}

function Sources({ message, onCite }: { message: ChatMessage; onCite: OnCite }) {
  const citations = citationsOf(message);
  if (citations.length === 0) return null;
  return (
    <div className="cc-sources">
      <span className="cc-sources-label">Sources</span>
      {citations.map((citation) => (
        <button
          key={citation.number}
          type="button"
          className="cc-source-chip"
          data-cc="citation"
          data-citation={citation.number}
          aria-label={`Source ${citation.number}: ${citation.title}`}
          onClick={(event) => onCite(citation, event.currentTarget)}
        >
          <span className="cc-cite" aria-hidden="true">
            {citation.number}
          </span>
          <span>{citation.title}</span>
        </button>
      ))}
    </div>
  );
}

function CustomerMeta({
  message,
  last,
  onRetry,
}: {
  message: ChatMessage;
  last: boolean;
  onRetry: (key: string) => void;
}) {
  if (message.delivery === 'failed') {
    return (
      <div className="cc-meta" data-tone="danger" role="alert">
        <span>Not sent —</span>
        <button
          type="button"
          className="cc-link-button"
          data-cc="retry"
          onClick={() => onRetry(message.key)}
        >
          Retry
        </button>
        {message.error && <span>· {message.error}</span>}
      </div>
    );
  }
  if (message.delivery === 'sending') return <div className="cc-meta">Sending…</div>;
  if (!last) return null;
  return (
    <div className="cc-meta">
      Sent{timeOf(message.createdAt) && ` · ${timeOf(message.createdAt)}`}
    </div>
  );
}

function Message({
  message,
  grouped,
  last,
  config,
  onCite,
  onRetry,
}: {
  message: ChatMessage;
  grouped: boolean;
  last: boolean;
  config: WidgetConfig;
  onCite: OnCite;
  onRetry: (key: string) => void;
}) {
  if (message.author === 'system') {
    return (
      <p className="cc-system" data-cc="message" data-author="system">
        {message.text}
      </p>
    );
  }
  const customer = message.author === 'customer';
  const citations = citationsOf(message);
  return (
    <div className="cc-row" data-side={customer ? 'customer' : 'staff'} data-grouped={grouped}>
      {!customer && !grouped && <StaffLabel message={message} config={config} />}
      {customer && <span className="cc-sr-only">You said:</span>}
      <div
        className="cc-bubble"
        data-cc="message"
        data-author={message.author}
        data-status={message.delivery}
        data-id={message.id ?? undefined}
        title={timeOf(message.createdAt) || undefined}
      >
        <div data-cc="text">
          <RichText text={message.text} citations={citations} onCite={onCite} />
        </div>
        {!customer && <Sources message={message} onCite={onCite} />}
      </div>
      {customer && <CustomerMeta message={message} last={last} onRetry={onRetry} />}
    </div>
  );
}

function Streaming({ stream, config }: { stream: ReplyStream; config: WidgetConfig }) {
  const text = streamText(stream);
  if (text === '') return null;
  return (
    <div className="cc-row" data-side="staff" data-grouped="false">
      <StaffLabel
        message={{ author: 'ai', metadata: {}, createdAt: new Date().toISOString() }}
        config={config}
      />
      <div
        className="cc-bubble"
        data-cc="message"
        data-author="ai"
        data-streaming="true"
        aria-busy="true"
      >
        <span data-cc="text">
          <RichText text={text} />
        </span>
        <span className="cc-caret" aria-hidden="true" />
      </div>
    </div>
  );
}

function MessageGroup({
  messages,
  config,
  onCite,
  onRetry,
}: {
  messages: ChatMessage[];
  config: WidgetConfig;
  onCite: OnCite;
  onRetry: (key: string) => void;
}) {
  let lastCustomer = -1;
  messages.forEach((m, i) => {
    if (m.author === 'customer') lastCustomer = i;
  });
  return (
    <>
      {messages.map((message, i) => {
        const previous = messages[i - 1];
        const grouped =
          previous !== undefined &&
          previous.author !== 'system' &&
          speaker(previous) === speaker(message);
        return (
          <Message
            key={message.key}
            message={message}
            grouped={grouped}
            last={i === lastCustomer}
            config={config}
            onCite={onCite}
            onRetry={onRetry}
          />
        );
      })}
    </>
  );
}

export function MessageList({
  state,
  config,
  onCite,
  onRetry,
  onRetryHistory,
}: {
  state: WidgetState;
  config: WidgetConfig;
  onCite: OnCite;
  onRetry: (key: string) => void;
  onRetryHistory: () => void;
}) {
  const log = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);
  const streaming = state.streams.filter((s) => streamText(s) !== '');
  const typing = state.typing.length > 0 && streaming.length === 0;

  // follow the conversation while the reader is at the bottom; leave them be when scrolled up
  useLayoutEffect(() => {
    const element = log.current;
    if (element !== null && stuck.current) element.scrollTop = element.scrollHeight;
  });

  const lastMessage = state.messages[state.messages.length - 1];
  const ownJustSent = lastMessage?.author === 'customer' && lastMessage.delivery === 'sending';
  if (ownJustSent) stuck.current = true;

  return (
    <div
      ref={log}
      className="cc-log"
      role="log"
      aria-live="polite"
      aria-label="Conversation"
      onScroll={(event) => {
        const element = event.currentTarget;
        stuck.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
      }}
    >
      <div className="cc-row" data-side="staff" data-grouped="false">
        <StaffLabel message={{ author: 'ai', metadata: {}, createdAt: '' }} config={config} />
        <div className="cc-bubble cc-greeting" data-cc="greeting">
          {config.greeting}
        </div>
      </div>
      {state.earlier.length > 0 && (
        <>
          <MessageGroup
            messages={state.earlier}
            config={config}
            onCite={onCite}
            onRetry={onRetry}
          />
          <p className="cc-divider">Earlier conversation ended</p>
        </>
      )}
      {state.history === 'loading' && state.messages.length === 0 && (
        <div className="cc-skeleton" role="status" aria-label="Loading your conversation">
          <i />
          <i />
          <i />
        </div>
      )}
      {state.history === 'error' && (
        <div className="cc-notice" data-tone="danger" role="alert">
          <span>Your earlier messages couldn't be loaded. {state.historyError}</span>
          <button type="button" onClick={onRetryHistory}>
            Try again
          </button>
        </div>
      )}
      <MessageGroup messages={state.messages} config={config} onCite={onCite} onRetry={onRetry} />
      {streaming.map((stream) => (
        <Fragment key={stream.replyTo}>
          <Streaming stream={stream} config={config} />
        </Fragment>
      ))}
      {typing && (
        <div className="cc-typing" data-cc="typing" role="status">
          <span className="cc-dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          <span>{config.assistant_name} is typing…</span>
        </div>
      )}
    </div>
  );
}
