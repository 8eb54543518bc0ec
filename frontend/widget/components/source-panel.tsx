import { useEffect, useId, useRef } from 'react';
import type { Citation } from '../api';
import { BackIcon, ExternalIcon } from './icons';
import { safeUrl } from './rich-text';

/** The passage a citation points to, over the conversation; Back (or Esc) returns to it. */
export function SourcePanel({ citation, onClose }: { citation: Citation; onClose: () => void }) {
  const back = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const href = citation.source_url ? safeUrl(citation.source_url) : null;

  useEffect(() => {
    back.current?.focus();
  }, []);

  return (
    <section
      className="cc-source-panel"
      data-cc="source-panel"
      role="dialog"
      aria-labelledby={titleId}
    >
      <div className="cc-source-bar">
        <button ref={back} type="button" className="cc-back" onClick={onClose}>
          <BackIcon />
          Back to chat
        </button>
      </div>
      <div className="cc-source-content">
        <div className="cc-source-kicker">
          <span className="cc-cite" aria-hidden="true">
            {citation.number}
          </span>
          Source {citation.number}
        </div>
        <h3 id={titleId} className="cc-source-title">
          {citation.title}
        </h3>
        {citation.section && <p className="cc-source-section">{citation.section}</p>}
        {citation.quote && (
          <blockquote className="cc-quote" cite={href ?? undefined}>
            {citation.quote}
          </blockquote>
        )}
        {href !== null ? (
          <a className="cc-open-source" href={href} target="_blank" rel="noopener noreferrer">
            Open source
            <ExternalIcon />
            <span className="cc-sr-only">(opens in a new tab)</span>
          </a>
        ) : (
          <p className="cc-source-note">From our own information for customers.</p>
        )}
      </div>
    </section>
  );
}
