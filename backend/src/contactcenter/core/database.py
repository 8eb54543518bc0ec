"""Database access: one engine, transactions that carry the caller's JWT claims.

Every request runs in one transaction opened by a FastAPI dependency, which commits after the
handler (or rolls back on error). Requests made on behalf of a user switch to the `authenticated`
role with `request.jwt.claims` set for the transaction, as PostgREST does on Supabase, so the RLS
policies apply underneath the Python code. System work (login, issuing sessions, jobs, realtime
fan-out) runs as the connection's own role.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from contactcenter.core.config import Settings
from contactcenter.core.embedded_pg import start_embedded_postgres
from contactcenter.core.logging import current_request_id

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# an arbitrary constant: one migrator at a time across every process on the database
MIGRATION_LOCK_KEY = 7_340_019_201

# one round trip: the user's claims for RLS, and the request id the reply job's trigger records
# (so the worker's logs carry it too)
_SET_CLAIMS = text(
    "SELECT set_config('role', 'authenticated', true), "
    "set_config('request.jwt.claims', :claims, true), "
    "set_config('app.request_id', :request_id, true)"
)


def to_asyncpg_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs (as Supabase shows them) for asyncpg."""
    parts = urlsplit(url)
    scheme = "postgresql+asyncpg"
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    sslmode = query.pop("sslmode", None)
    if sslmode and "ssl" not in query:
        query["ssl"] = sslmode
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def to_libpq_url(url: str) -> str:
    """The plain form asyncpg.connect() takes (used by the LISTEN connection)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "ssl" in query and "sslmode" not in query:
        query["sslmode"] = query.pop("ssl")
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), parts.fragment))


@dataclass
class Database:
    engine: AsyncEngine
    url: str
    listen_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    embedded_server: Any = None
    _closed: bool = field(default=False, repr=False)

    @asynccontextmanager
    async def transaction(
        self, claims: Mapping[str, Any] | None = None
    ) -> AsyncIterator[AsyncSession]:
        """One transaction; with `claims`, RLS applies as for that user. Commits on success."""
        async with self.sessionmaker() as session, session.begin():
            if claims is not None:
                await session.execute(
                    _SET_CLAIMS,
                    {"claims": json.dumps(dict(claims)), "request_id": current_request_id() or ""},
                )
            yield session

    async def dispose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.engine.dispose()
        if self.embedded_server is not None:
            # release our handle now: uvicorn re-raises SIGTERM after shutdown, so pgserver's
            # atexit hook would never run and the postmaster would outlive us. The server stops
            # only when the last process using the data folder lets go.
            await asyncio.to_thread(self.embedded_server.cleanup)


async def connect(settings: Settings) -> Database:
    embedded_server = None
    if settings.db.url is None:
        embedded_server, raw_url = await asyncio.to_thread(
            start_embedded_postgres, settings.data_dir
        )
    else:
        raw_url = settings.db.url.get_secret_value()
    listen_raw = settings.db.listen_url.get_secret_value() if settings.db.listen_url else raw_url
    engine = create_async_engine(
        to_asyncpg_url(raw_url),
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_pre_ping=settings.db.pool_pre_ping,
        hide_parameters=True,  # parameters carry message texts and personal data: never log them
        connect_args={
            "server_settings": {
                "application_name": "contactcenter",
                "statement_timeout": str(settings.db.statement_timeout_ms),
            }
        },
    )
    return Database(
        engine=engine,
        url=raw_url,
        listen_url=to_libpq_url(listen_raw),
        sessionmaker=async_sessionmaker(engine, expire_on_commit=False),
        embedded_server=embedded_server,
    )


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration shipped with the code (read from disk once)."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def to_psycopg_url(url: str) -> str:
    parts = urlsplit(to_libpq_url(url))
    return urlunsplit(("postgresql+psycopg", *parts[1:]))


def _migrate_sync(url: str) -> None:
    # psycopg runs the migrations' multi-statement SQL scripts, which asyncpg cannot
    engine = create_engine(to_psycopg_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                command.upgrade(_alembic_config(conn), "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


async def migrate(db: Database) -> None:
    """Upgrade to head under an advisory lock, so replicas starting together do not race."""
    await asyncio.to_thread(_migrate_sync, db.url)
    log.info("database.migrated", revision=head_revision())


async def current_revision(db: Database) -> str | None:
    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a transaction as the service itself (no RLS), committed after."""
    db: Database = request.app.state.db
    async with db.transaction() as session:
        yield session


SystemSession = Annotated[AsyncSession, Depends(system_session, scope="function")]
