"""Supabase-compatible authentication: tokens issued here (embedded) or by Supabase Auth."""
