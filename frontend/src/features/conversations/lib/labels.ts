import type { Schemas } from '@/lib/api';

export type Conversation = Schemas['ConversationOut'];
export type Message = Schemas['MessageOut'];
export type Outcome = Schemas['OutcomeOut'];
export type Citation = Schemas['CitationOut'];
export type ConversationStatus = Schemas['ConversationStatus'];

export const STATUS: Record<ConversationStatus, { label: string; palette: string }> = {
  open: { label: 'AI answering', palette: 'green' },
  pending_human: { label: 'Waiting for an agent', palette: 'orange' },
  resolved: { label: 'Resolved', palette: 'gray' },
  expired: { label: 'Expired', palette: 'gray' },
};

export const STATUS_FILTERS: { value: ConversationStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'pending_human', label: 'Waiting for an agent' },
  { value: 'open', label: 'AI answering' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'expired', label: 'Expired' },
];

export const CHANNEL: Record<string, string> = {
  web: 'Web chat',
  email: 'E-mail',
  whatsapp: 'WhatsApp',
  telegram: 'Telegram',
  teams: 'Teams',
  line: 'LINE',
  wechat: 'WeChat',
  api: 'API',
};

export const isClosed = (c: Conversation) => c.status === 'resolved' || c.status === 'expired';

export const shortId = (id: string) => id.slice(0, 6).toUpperCase();

export const titleOf = (c: Conversation) => {
  const page = typeof c.metadata.page_title === 'string' ? c.metadata.page_title : null;
  return c.subject ?? page ?? `Customer ${shortId(c.customer_id)}`;
};

/** The page the customer wrote from (the widget sends `page_url`), as a short path. */
export function pageOf(c: Conversation): string | null {
  const raw = c.metadata.page_url;
  if (typeof raw !== 'string' || raw === '') return null;
  try {
    const url = new URL(raw);
    return url.pathname === '/' ? url.host : url.pathname;
  } catch {
    return raw;
  }
}

/** "just now", "3 min ago", "2 h ago", "yesterday", "12 Mar" */
export function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  if (hours < 48) return 'yesterday';
  return new Date(iso).toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export const timeOf = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export const dateTime = (iso: string) =>
  new Date(iso).toLocaleString([], {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });

export function dayLabel(iso: string, now: number): string {
  const day = new Date(iso);
  const today = new Date(now);
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((start(today) - start(day)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return day.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long' });
}

export const percent = (value: number) => `${Math.round(value * 100)}%`;

export const citationsOf = (message: Message): Citation[] => {
  const value = message.metadata.citations;
  return Array.isArray(value) ? (value as Citation[]) : [];
};
