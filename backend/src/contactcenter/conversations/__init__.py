"""Conversations between a customer and the contact center, and their messages."""
