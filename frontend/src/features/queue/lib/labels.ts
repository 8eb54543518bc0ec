import type { Schemas } from '@/lib/api';

export type Draft = Schemas['DraftOut'];
export type Category = Schemas['Category'];
export type Priority = Schemas['Priority'];

export { CATEGORY_LABEL } from '@/lib/vocabulary';

export const PRIORITY_LABEL: Record<Priority, string> = {
  urgent: 'Urgent',
  high: 'High',
  normal: 'Normal',
};

/** Why a draft waits for a person, in plain words. */
export const REASON_LABEL: Record<string, string> = {
  pending_review: 'Waiting for review',
  low_confidence: 'AI is not sure enough',
  no_answer: 'No answer in the knowledge base',
  safety: 'Safety concern',
  injection: 'Possible prompt injection',
  ai_failure: 'AI could not answer',
  human_control: 'Agent took over: AI suggestion',
  agent_retry: 'AI retry with a hint',
};

export const reasonLabel = (reason: string) => REASON_LABEL[reason] ?? reason.replace(/_/g, ' ');

export const STATUS_LABEL: Record<Draft['status'], string> = {
  pending_review: 'waiting for review',
  approved: 'approved',
  edited: 'sent with edits',
  rejected: 'rejected',
  superseded: 'superseded',
};

export const percent = (value: number) => `${Math.round(value * 100)}%`;

/** "just now", "45 s", "3 min", "2 h 5 min", "3 d" */
export function age(fromIso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export const clockTime = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Whether a live claim by someone else holds the draft. */
export const claimedByOther = (draft: Draft, me: string | undefined, now = Date.now()) =>
  draft.claimed_by !== null &&
  draft.claimed_by !== me &&
  (draft.claim_expires_at === null ||
    draft.claim_expires_at === undefined ||
    Date.parse(draft.claim_expires_at) > now);
