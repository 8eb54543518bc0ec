"""Changing the embedding model: the chunks are re-embedded into a new collection and the pointer
flips in one step; searches never mix the two models' vectors. Runs on a database of its own,
because the live-collection pointer is one per deployment."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from sqlalchemy import select, text

from contactcenter.core import database
from contactcenter.core.config import (
    DatabaseSettings,
    EmbeddingProvider,
    EmbeddingSettings,
    Settings,
)
from contactcenter.knowledge import samples
from contactcenter.knowledge.index import KnowledgeIndex
from contactcenter.knowledge.tasks import IngestionWorker
from contactcenter.models import KnowledgeCollection
from contactcenter.tenants.service import create_tenant
from contactcenter.vectorstore.edge import EdgeVectorStore


@pytest.fixture
async def own_db(
    settings: Settings, pg_url: str
) -> AsyncIterator[tuple[Settings, database.Database]]:
    name = f"switch_{secrets.token_hex(4)}"
    with psycopg.connect(database.to_libpq_url(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(pg_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    own = settings.model_copy(update={"db": DatabaseSettings(url=url)})
    db = await database.connect(own)
    await database.migrate(db)
    try:
        yield own, db
    finally:
        await db.dispose()
        with psycopg.connect(database.to_libpq_url(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def with_embedder(settings: Settings, provider: EmbeddingProvider) -> Settings:
    return settings.model_copy(update={"embedding": EmbeddingSettings(provider=provider)})


async def active_rows(db: database.Database) -> list[KnowledgeCollection]:
    async with db.transaction() as session:
        return list(
            (
                await session.scalars(
                    select(KnowledgeCollection).order_by(KnowledgeCollection.created_at)
                )
            ).all()
        )


async def test_model_change_reembeds_and_switches_atomically(own_db, tmp_path):
    settings, db = own_db
    store = EdgeVectorStore(tmp_path / "qdrant")
    try:
        async with db.transaction() as session:
            tenant = await create_tenant(session, f"t-{secrets.token_hex(3)}", "Switch Pharmacy")
        light = with_embedder(settings, EmbeddingProvider.wordllama)
        old_index = KnowledgeIndex(light, db, store)
        await samples.load_demo_knowledge(light, db, tenant.id)
        assert await IngestionWorker(light, db, old_index).drain() >= 5
        old_model, before = await old_index.search(tenant.id, "can I return opened medicine?", 5)
        assert old_model.startswith("wordllama")
        assert before

        # a restart with another model: the old collection stays live until the new one is built
        offline = with_embedder(settings, EmbeddingProvider.offline)
        index = KnowledgeIndex(offline, db, store)
        live = await index.start()
        assert live.spec.model_id == old_model
        assert await index.needs_rebuild()

        seen_during: list[str] = []

        async def during(done: int, total: int) -> None:
            # mid-rebuild: searches still answer from the old model's collection
            model, hits = await index.search(tenant.id, "can I return opened medicine?", 5)
            seen_during.append(model)
            assert hits
            rows = await active_rows(db)
            assert [r.status for r in rows] == ["active", "building"]

        async with db.transaction() as session:
            chunk_total = await session.scalar(text("SELECT count(*) FROM knowledge_chunks"))
        new_spec = await index.rebuild(batch_size=16, on_progress=during)
        assert seen_during and set(seen_during) == {old_model}

        rows = await active_rows(db)
        assert [(r.status, r.model_id) for r in rows] == [
            ("retired", old_model),
            ("active", new_spec.model_id),
        ]
        assert new_spec.model_id.startswith("all-minilm-l6-v2")
        assert not store.collection_exists(rows[0].name)  # dropped after the flip
        assert store.count(new_spec.name, str(tenant.id)) == chunk_total

        model, after = await index.search(tenant.id, "can I return opened medicine?", 5)
        assert model == new_spec.model_id
        assert after and all(h.dense_score is None or h.dense_score <= 1.0001 for h in after)
        async with db.transaction() as session:
            models = set(
                (
                    await session.scalars(
                        text("SELECT DISTINCT embedding_model FROM knowledge_documents")
                    )
                ).all()
            )
        assert models == {new_spec.model_id}

        # a replica still configured with the old model learns the switch from the pointer and
        # embeds questions with the live model, not its own
        await old_index.live(fresh=True)
        model, _ = await old_index.search(tenant.id, "delivery fee", 3)
        assert model == new_spec.model_id
    finally:
        store.close()
