"""Realtime events: published in the writer's transaction (NOTIFY), fanned out over WebSockets."""
