"""Tenants (companies) and their staff accounts."""
