import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useId,
  useLayoutEffect,
  useState,
} from 'react';
import { MAX_MESSAGE_CHARS } from '../api';
import { SendIcon } from './icons';

const COUNT_FROM = MAX_MESSAGE_CHARS - 500;

export function Composer({
  inputRef,
  assistantName,
  privacyUrl,
  onSend,
}: {
  inputRef: RefObject<HTMLTextAreaElement>;
  assistantName: string;
  privacyUrl: string | null;
  /** Returns why the text cannot be sent, or null when it is on its way. */
  onSend: (text: string) => string | null;
}) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const hintId = useId();
  const errorId = useId();
  const length = text.trim().length;
  const tooLong = length > MAX_MESSAGE_CHARS;

  // grow with the text, up to the CSS max-height
  // biome-ignore lint/correctness/useExhaustiveDependencies: measured again whenever the text changes
  useLayoutEffect(() => {
    const element = inputRef.current;
    if (element === null) return;
    element.style.height = 'auto';
    element.style.height = `${element.scrollHeight}px`;
  }, [text, inputRef]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const problem = onSend(text);
    if (problem !== null) {
      setError(problem);
      return;
    }
    setText('');
    setError(null);
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    if (length > 0) submit();
  };

  const sameSite = privacyUrl !== null && new URL(privacyUrl).origin === window.location.origin;

  return (
    <form className="cc-composer" onSubmit={submit} noValidate>
      <div className="cc-field" data-invalid={tooLong || error !== null}>
        <textarea
          ref={inputRef}
          className="cc-textarea"
          data-cc="input"
          aria-label="Message"
          aria-describedby={error !== null ? `${errorId} ${hintId}` : hintId}
          aria-invalid={tooLong || error !== null}
          placeholder={`Ask ${assistantName} a question…`}
          rows={1}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            if (error !== null) setError(null);
          }}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          className="cc-send"
          data-cc="send"
          aria-label="Send"
          disabled={length === 0}
        >
          <SendIcon />
        </button>
      </div>
      <span id={hintId} className="cc-sr-only">
        Enter sends, Shift+Enter starts a new line.
      </span>
      <div className="cc-composer-meta">
        {error !== null ? (
          <span id={errorId} data-tone="danger" role="alert">
            {error}
          </span>
        ) : (
          <p className="cc-footnote">
            {assistantName} is an AI; our team checks when unsure.
            {privacyUrl !== null && (
              <>
                {' '}
                <a
                  href={privacyUrl}
                  target={sameSite ? undefined : '_blank'}
                  rel={sameSite ? undefined : 'noopener noreferrer'}
                >
                  Privacy
                </a>
              </>
            )}
          </p>
        )}
        {length >= COUNT_FROM && (
          <span className="cc-count" data-tone={tooLong ? 'danger' : undefined} aria-live="polite">
            {length.toLocaleString('en')} / {MAX_MESSAGE_CHARS.toLocaleString('en')}
          </span>
        )}
      </div>
    </form>
  );
}
