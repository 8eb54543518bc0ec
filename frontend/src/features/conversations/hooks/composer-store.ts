import { create } from 'zustand';
import type { ComposerMode } from '../api/send';

/** Unsent composer text per conversation and mode (UI state; survives moving between pages). */
export const useComposerStore = create<{
  drafts: Record<string, string>;
  mode: Record<string, ComposerMode>;
  setText: (key: string, text: string) => void;
  setMode: (conversationId: string, mode: ComposerMode) => void;
}>((set) => ({
  drafts: {},
  mode: {},
  setText: (key, text) => set((s) => ({ drafts: { ...s.drafts, [key]: text } })),
  setMode: (conversationId, mode) => set((s) => ({ mode: { ...s.mode, [conversationId]: mode } })),
}));
