"""Test foundation: one real PostgreSQL (embedded, or TEST_DATABASE_URL) migrated once per run.

Tests isolate through data, not transactions: each test builds its own tenants and users with
random slugs, so that commits, NOTIFY and the RLS role switch run exactly as in production.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from contactcenter.core import database
from contactcenter.core.config import (
    AuthSettings,
    DatabaseSettings,
    DemoSettings,
    Environment,
    JobsSettings,
    PipelineSettings,
    RateLimitSettings,
    Settings,
)
from contactcenter.main import create_app
from tests.builders import Builder

TEST_JWT_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    from contactcenter.core.embedded_pg import start_embedded_postgres

    # not under pytest's own temporary root: every pytest session that starts on the machine
    # resets that root to mode 0700, which locks out the `pgserver` user PostgreSQL runs as
    # (when tests run as root) and crashes the server mid-run
    folder = Path(tempfile.mkdtemp(prefix="contactcenter-test-pg-"))
    server, uri = start_embedded_postgres(folder)
    try:
        yield uri
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def make_settings(pg_url: str, data_dir: Path, **overrides: object) -> Settings:
    """Settings for the in-process app: the test database, a known secret, no demo seed."""
    settings = Settings(
        environment=Environment.test,
        data_dir=data_dir,
        log_level="WARNING",
        db=DatabaseSettings(url=pg_url),
        auth=AuthSettings(jwt_secret=TEST_JWT_SECRET),
        demo=DemoSettings(seed=False),
        # tests that need replies drive a ReplyWorker of their own (tests/test_pipeline.py)
        # and count the reply queue at every message (tests/test_pipeline.py fills it)
        pipeline=PipelineSettings(worker=False, busy_check_s=0),
        # tests run the sweeps themselves, with time moved forward (tests/test_jobs.py)
        jobs=JobsSettings(enabled=False),
        # tests call far faster than people do; tests/test_ratelimit.py builds its own app
        ratelimit=RateLimitSettings(enabled=False),
        # the API alone, whether or not frontend/dist was built (tests/test_web.py serves one)
        web_dir=data_dir / "no-web-build",
    )
    return settings.model_copy(update=overrides)


@pytest.fixture(scope="session")
def settings(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(pg_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def db(app: FastAPI) -> database.Database:
    db: database.Database = app.state.db
    return db


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def build(db: database.Database, client: httpx.AsyncClient) -> Builder:
    return Builder(db=db, client=client)


@pytest.fixture
def password() -> str:
    return secrets.token_urlsafe(12)
