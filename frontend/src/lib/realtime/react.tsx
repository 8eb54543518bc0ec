import { createContext, type ReactNode, useContext, useEffect, useRef } from 'react';
import { create } from 'zustand';
import type { ConnectionStatus, EventHandler, RealtimeEvent, RealtimeTransport } from './types';

const TransportContext = createContext<RealtimeTransport | null>(null);

/** Connection status of the tab's one realtime connection (UI state). */
export const useConnectionStore = create<{
  status: ConnectionStatus;
  setStatus: (status: ConnectionStatus) => void;
}>((set) => ({ status: 'idle', setStatus: (status) => set({ status }) }));

export function RealtimeProvider({
  transport,
  children,
}: {
  transport: RealtimeTransport;
  children: ReactNode;
}) {
  const setStatus = useConnectionStore((s) => s.setStatus);
  useEffect(() => transport.onStatus(setStatus), [transport, setStatus]);
  return <TransportContext.Provider value={transport}>{children}</TransportContext.Provider>;
}

export function useRealtimeTransport(): RealtimeTransport {
  const transport = useContext(TransportContext);
  if (transport === null) throw new Error('useRealtime* needs a <RealtimeProvider> above it');
  return transport;
}

/**
 * Follow a topic while the component is mounted (null: follow nothing). The latest handler is
 * always called, so callers need not memoise it.
 */
export function useRealtimeTopic(topic: string | null, onEvent: EventHandler): void {
  const transport = useRealtimeTransport();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (topic === null) return;
    return transport.subscribe(topic, (event: RealtimeEvent) => handler.current(event));
  }, [transport, topic]);
}

/** Called after a reconnect (events may have been missed): refetch. */
export function useResync(onResync: () => void): void {
  const transport = useRealtimeTransport();
  const handler = useRef(onResync);
  handler.current = onResync;
  useEffect(() => transport.onResync(() => handler.current()), [transport]);
}

export function useConnectionStatus(): ConnectionStatus {
  return useConnectionStore((s) => s.status);
}
