import { create } from 'zustand';
import type { Schemas } from '@/lib/api';

export type Alert = Schemas['Alert'];
export interface AlertItem extends Alert {
  id: string;
  at: number;
  read: boolean;
}

const KEEP = 50;
let counter = 0;

/** Alerts seen in this tab, newest first (UI state: the server keeps no alert list). */
export const useAlertsStore = create<{
  items: AlertItem[];
  add: (alert: Alert) => AlertItem;
  markAllRead: () => void;
  clear: () => void;
}>((set) => ({
  items: [],
  add: (alert) => {
    counter += 1;
    const item: AlertItem = {
      ...alert,
      id: `${Date.now()}-${counter}`,
      at: Date.now(),
      read: false,
    };
    set((s) => ({ items: [item, ...s.items].slice(0, KEEP) }));
    return item;
  },
  markAllRead: () =>
    set((s) =>
      s.items.some((i) => !i.read) ? { items: s.items.map((i) => ({ ...i, read: true })) } : s,
    ),
  clear: () => set({ items: [] }),
}));

export const useUnreadCount = () => useAlertsStore((s) => s.items.filter((i) => !i.read).length);
