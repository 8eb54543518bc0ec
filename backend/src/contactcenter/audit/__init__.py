"""Append-only audit trail of every state change."""
