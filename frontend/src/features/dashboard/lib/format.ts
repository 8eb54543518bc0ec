import { CATEGORY_LABEL } from '@/lib/vocabulary';
const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 });

export const formatCount = (n: number): string => integer.format(n);

/** 12.3K above ten thousand, exact below. */
export const formatTokens = (n: number): string =>
  n >= 10_000 ? compact.format(n) : integer.format(n);

/** A 0..1 share as "80%"; null (nothing to divide) as an em dash. */
export const formatRate = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '—' : percent.format(rate);

/** Dollars with enough digits to show fractions of a cent. */
export const formatUsd = (usd: number | null | undefined): string => {
  if (usd === null || usd === undefined) return '—';
  const digits = usd === 0 ? 2 : usd < 0.01 ? 4 : usd < 1 ? 3 : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(usd);
};

/** 42 s, 3 min 20 s, 1 h 5 min, 2 d 3 h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 || m >= 10 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export const formatMs = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '—';
  if (ms === 0) return '0 ms';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
};

export const formatThreshold = (t: number): string => t.toFixed(2);

/** "just now", "3 s ago", "2 min ago". */
export function formatAgo(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.floor(m / 60)} h ago`;
}

const LABELS: Record<string, string> = {
  ...CATEGORY_LABEL,
  auto_sent: 'Auto-sent',
  draft: 'Drafted for review',
  escalated: 'Escalated (safety)',
  failed: 'AI failed',
  skipped: 'Skipped',
  safety: 'Safety',
  low_confidence: 'low confidence',
  injection: 'prompt injection',
  ai_failure: 'AI failure',
  no_answer: 'no answer found',
  approved: 'Approved',
  edited: 'Edited',
  rejected: 'Rejected',
  human_control: 'agent in control',
  agent_retry: 'agent retry',
  triage: 'Triage',
  retrieve: 'Retrieve',
  respond: 'Respond',
  score: 'Score',
  total: 'Total',
};

/** A readable label for a server key (category, decision, reason, stage). */
export function labelOf(key: string): string {
  if (key.startsWith('waiting:')) {
    const reason = key.slice('waiting:'.length);
    return `Waited too long (${(LABELS[reason] ?? reason.replaceAll('_', ' ')).toLowerCase()})`;
  }
  return LABELS[key] ?? key.charAt(0).toUpperCase() + key.slice(1).replaceAll('_', ' ');
}
