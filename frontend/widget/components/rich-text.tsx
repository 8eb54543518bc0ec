import type { ReactNode } from 'react';
import type { Citation } from '../api';

export type OnCite = (citation: Citation, from: HTMLElement) => void;

const TOKENS = /\[(\d{1,3})\]|\bhttps?:\/\/[^\s<>"'`]+/g;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** Only http(s) addresses become links; anything else stays text. */
export function safeUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function CitationButton({
  citation,
  onCite,
  marker = false,
}: {
  citation: Citation;
  onCite: OnCite;
  marker?: boolean;
}) {
  return (
    <button
      type="button"
      className="cc-cite"
      data-cc="citation"
      data-citation={citation.number}
      aria-label={`Source ${citation.number}: ${citation.title}`}
      title={marker ? citation.title : undefined}
      onClick={(event) => onCite(citation, event.currentTarget)}
    >
      {citation.number}
    </button>
  );
}

/**
 * A message's text as React text nodes (never HTML): `[n]` markers with a matching citation
 * become source buttons, http(s) addresses become links that open in a new tab.
 */
export function RichText({
  text,
  citations = [],
  onCite,
}: {
  text: string;
  citations?: Citation[];
  onCite?: OnCite;
}) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKENS)) {
    const start = match.index ?? 0;
    let token = match[0];
    if (match[1] !== undefined) {
      const citation = citations.find((c) => c.number === Number(match[1]));
      if (citation === undefined || onCite === undefined) continue;
      parts.push(text.slice(last, start));
      parts.push(<CitationButton key={`c${start}`} citation={citation} onCite={onCite} marker />);
      last = start + token.length;
      continue;
    }
    token = token.replace(TRAILING, '');
    const href = safeUrl(token);
    if (href === null) continue;
    parts.push(text.slice(last, start));
    parts.push(
      <a key={`a${start}`} href={href} target="_blank" rel="noopener noreferrer nofollow">
        {token}
      </a>,
    );
    last = start + token.length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}
