// Build-time configuration. With a Supabase URL and anon key the browser takes its realtime
// events from Supabase Realtime; otherwise from the backend's own WebSocket.
export const env = {
  apiBase: (import.meta.env.VITE_API_BASE as string | undefined) ?? '',
  supabaseUrl: import.meta.env.VITE_SUPABASE_URL as string | undefined,
  supabaseAnonKey: import.meta.env.VITE_SUPABASE_ANON_KEY as string | undefined,
};
