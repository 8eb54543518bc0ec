"""Scheduled lifecycle jobs: escalation of waiting drafts, session expiry, retention."""
