import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { env } from '@/config/env';

/**
 * The tab's Supabase client when the build is configured for Supabase (VITE_SUPABASE_URL and
 * VITE_SUPABASE_ANON_KEY): staff sign in with Supabase Auth and events come over Supabase
 * Realtime. Sessions live in our own store (lib/session), so the client keeps none.
 */
export const supabase: SupabaseClient | null =
  env.supabaseUrl && env.supabaseAnonKey
    ? createClient(env.supabaseUrl, env.supabaseAnonKey, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      })
    : null;
