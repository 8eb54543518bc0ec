"""The ingestion worker as a durable job runner: a document left by a dead worker is taken
over when its lease expires, and a failing vector store sends the document back for a retry
instead of losing it."""

from __future__ import annotations

from sqlalchemy import text

from contactcenter.auth.principal import Role
from contactcenter.knowledge import service
from tests.test_knowledge_api import HOURS_MD, upload_one, wait_done


async def test_a_dead_workers_document_is_taken_over_after_its_lease(app, db, build, client):
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    async with db.transaction() as session:
        result = await service.add_file(
            session,
            app.state.settings,
            tenant_id=tenant.id,
            actor=None,
            file=service.IncomingFile("hours.md", "text/markdown", HOURS_MD),
        )
        assert result.document is not None
        # as a worker that claimed it and died would leave it
        await session.execute(
            text(
                "UPDATE knowledge_documents SET status = 'processing', attempts = 1, "
                "lease_expires_at = now() - interval '1 second' WHERE id = :id"
            ),
            {"id": result.document.id},
        )
    app.state.ingestion.wake()
    done = await wait_done(client, agent, str(result.document.id))
    assert done["status"] == "indexed"
    assert done["attempts"] == 2
    assert done["chunk_count"] >= 2


async def test_a_failing_vector_store_is_retried_not_lost(app, build, client, monkeypatch):
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    store = app.state.knowledge.store
    real_upsert = store.upsert
    failures = []

    def flaky_upsert(collection, points):
        if not failures:
            failures.append(collection)
            raise ConnectionError("qdrant went away")
        return real_upsert(collection, points)

    monkeypatch.setattr(store, "upsert", flaky_upsert)
    created = await upload_one(client, agent, "hours.md", HOURS_MD)
    done = await wait_done(client, agent, created["document"]["id"], wait_s=30)
    assert failures, "the store was never called"
    assert done["status"] == "indexed"
    assert done["attempts"] == 2
    assert done["error"] is None


async def test_a_document_that_keeps_crashing_is_failed_and_the_queue_moves_on(
    app, db, build, client
):
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    ids = []
    async with db.transaction() as session:
        for name in ("poison.md", "fine.md"):
            result = await service.add_file(
                session,
                app.state.settings,
                tenant_id=tenant.id,
                actor=None,
                file=service.IncomingFile(name, "text/markdown", HOURS_MD),
            )
            assert result.document is not None
            ids.append(str(result.document.id))
        # the first one has been taken up and abandoned by dead workers again and again
        await session.execute(
            text(
                "UPDATE knowledge_documents SET status = 'processing', attempts = 5, "
                "lease_expires_at = now() - interval '1 second', "
                "updated_at = now() - interval '1 minute' WHERE id = :id"
            ),
            {"id": ids[0]},
        )
    app.state.ingestion.wake()
    poison = await wait_done(client, agent, ids[0])
    fine = await wait_done(client, agent, ids[1])
    assert poison["status"] == "failed"
    assert "stopped 5 times" in poison["error"]
    assert fine["status"] == "indexed"
