import { env } from '@/config/env';
import { accessToken } from '@/lib/api';
import { SupabaseTransport } from '@/lib/realtime/supabase';
import type { RealtimeTransport } from '@/lib/realtime/types';
import { realtimeUrl, WebSocketTransport } from '@/lib/realtime/websocket';
import { useSession } from '@/lib/session';
import { supabase } from '@/lib/supabase';

/** The tab's one realtime connection: Supabase Realtime when configured, else the backend's. */
export function createTransport(): RealtimeTransport {
  const transport: RealtimeTransport =
    supabase !== null
      ? new SupabaseTransport(
          supabase,
          accessToken,
          { staff: true }, // the console is for staff: internal notes come on staff topics
        )
      : new WebSocketTransport({ url: realtimeUrl(env.apiBase), getToken: accessToken });
  // hand each refreshed token to the open connection before the old one expires
  useSession.subscribe((state, previous) => {
    if (state.accessToken !== null && state.accessToken !== previous.accessToken) {
      transport.setToken(state.accessToken);
    }
  });
  return transport;
}
