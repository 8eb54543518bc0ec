"""Alembic environment: run on a connection handed over by `core.database.migrate`."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrations always run through core.database
    raise RuntimeError("run migrations with `contactcenter migrate`, not the alembic CLI")

context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
