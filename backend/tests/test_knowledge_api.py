"""The knowledge base through the API: upload, status, idempotent re-upload, delete, re-index,
search, bad files, roles and tenant isolation. The app's own ingestion worker does the indexing
with the offline embedder on Qdrant Edge, as in production's embedded default."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role
from tests.test_api_conversations import assert_problem

DOCS = "/api/v1/knowledge/documents"
SEARCH = "/api/v1/knowledge/search"

HOURS_MD = b"""---
title: Opening hours
url: https://example.com/hours
---
# Opening hours

## Weekdays
We are open Monday to Friday from 8 a.m. to 8 p.m. The pharmacist is on site all day.

## Weekends
On Saturdays we open from 9 a.m. to 5 p.m. On Sundays the store is closed, but the
24-hour phone line stays open for urgent questions.
"""

PARKING_TXT = b"""Parking

Customers can park for free behind the store for up to 30 minutes. Bicycle racks are next
to the entrance.
"""


def files(*items: tuple[str, bytes, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", item) for item in items]


async def wait_done(client, actor, document_id: str, wait_s: float = 90) -> dict:
    """The document once the worker has indexed it or failed it."""
    async with asyncio.timeout(wait_s):
        while True:
            response = await client.get(f"{DOCS}/{document_id}", headers=actor.headers)
            assert response.status_code == 200, response.text
            body = response.json()
            if body["status"] in ("indexed", "failed"):
                return body
            await asyncio.sleep(0.1)


async def search(client, actor, query: str, limit: int = 5) -> dict:
    response = await client.post(
        SEARCH, headers=actor.headers, json={"query": query, "limit": limit}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def shop(build):
    a = await build.tenant()
    b = await build.tenant()
    return {
        "a": a,
        "b": b,
        "agent": await build.staff(a, Role.agent),
        "admin": await build.staff(a, Role.admin),
        "customer": await build.customer(a),
        "outsider": await build.staff(b, Role.agent),
    }


async def upload_one(client, actor, name: str, data: bytes, ctype: str = "text/markdown") -> dict:
    response = await client.post(DOCS, headers=actor.headers, files=files((name, data, ctype)))
    assert response.status_code in (200, 202), response.text
    (result,) = response.json()["results"]
    return result


async def test_upload_indexes_and_search_cites_sources(client, shop):
    agent = shop["agent"]
    response = await client.post(
        DOCS,
        headers=agent.headers,
        files=files(
            ("opening-hours.md", HOURS_MD, "text/markdown"),
            ("parking.txt", PARKING_TXT, "text/plain"),
        ),
    )
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created", "created"]
    assert results[0]["document"]["status"] == "queued"
    assert results[0]["document"]["kind"] == "markdown"

    hours = await wait_done(client, agent, results[0]["document"]["id"])
    parking = await wait_done(client, agent, results[1]["document"]["id"])
    assert hours["status"] == "indexed", hours["error"]
    assert hours["title"] == "Opening hours"
    assert hours["chunk_count"] >= 2  # one per section at least
    assert hours["embedding_model"]
    assert parking["status"] == "indexed"

    found = await search(client, agent, "are you open on sunday?")
    top = found["hits"][0]
    assert top["document_id"] == hours["id"]
    assert "Sundays" in top["text"]
    assert top["title"] == "Opening hours"
    assert top["section"] and "Weekends" in top["section"]
    assert top["source_url"] == "https://example.com/hours"
    assert top["score"] >= found["hits"][-1]["score"]
    assert found["embedding_model"] == hours["embedding_model"]

    found = await search(client, agent, "where can I leave my bike")
    assert found["hits"][0]["document_id"] == parking["id"]

    listed = await client.get(DOCS, headers=agent.headers)
    assert {d["id"] for d in listed.json()["items"]} == {hours["id"], parking["id"]}
    only_indexed = await client.get(DOCS, headers=agent.headers, params={"status": "failed"})
    assert only_indexed.json()["items"] == []


async def test_bad_files_fail_alone_with_a_reason(client, shop):
    agent = shop["agent"]
    response = await client.post(
        DOCS,
        headers=agent.headers,
        files=files(
            ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "application/pdf"),
            ("latin1.txt", "Caf\xe9 opening hours are 8 to 5.".encode("latin-1"), "text/plain"),
            ("notes.docx", b"PK\x03\x04 not a document we read", "application/octet-stream"),
            ("empty.md", b"   \n", "text/markdown"),
            ("good.md", HOURS_MD, "text/markdown"),
        ),
    )
    assert response.status_code == 202, response.text
    results = {r["filename"]: r for r in response.json()["results"]}
    assert results["notes.docx"]["outcome"] == "rejected"
    assert "unsupported" in results["notes.docx"]["error"]
    assert results["empty.md"]["outcome"] == "rejected"
    assert "empty" in results["empty.md"]["error"]

    pdf = await wait_done(client, agent, results["broken.pdf"]["document"]["id"])
    latin = await wait_done(client, agent, results["latin1.txt"]["document"]["id"])
    good = await wait_done(client, agent, results["good.md"]["document"]["id"])
    assert pdf["status"] == "failed" and "PDF" in pdf["error"]
    assert latin["status"] == "failed" and "UTF-8" in latin["error"]
    assert good["status"] == "indexed"
    assert pdf["chunk_count"] == 0


async def test_nothing_acceptable_is_422(client, shop):
    response = await client.post(
        DOCS, headers=shop["agent"].headers, files=files(("empty.txt", b"", "text/plain"))
    )
    body = assert_problem(response, 422, "document_rejected")
    assert "empty.txt" in body["detail"] and "empty" in body["detail"]


async def test_reupload_is_idempotent_and_a_new_version_replaces_chunks(client, shop, db):
    agent = shop["agent"]
    first = await upload_one(client, agent, "hours.md", HOURS_MD)
    doc = await wait_done(client, agent, first["document"]["id"])

    async def chunk_ids() -> list[tuple[int, str, str]]:
        async with db.transaction() as session:
            rows = await session.execute(
                text(
                    "SELECT chunk_no, id::text, text FROM knowledge_chunks "
                    "WHERE document_id = :d ORDER BY chunk_no"
                ),
                {"d": doc["id"]},
            )
            return [tuple(r) for r in rows]

    before = await chunk_ids()
    again = await client.post(
        DOCS, headers=agent.headers, files=files(("hours.md", HOURS_MD, "text/markdown"))
    )
    assert again.status_code == 200
    assert again.json()["results"][0]["outcome"] == "unchanged"
    assert (await wait_done(client, agent, doc["id"]))["updated_at"] == doc["updated_at"]

    # re-index the same content: the same deterministic point ids, the same chunks
    response = await client.post(f"{DOCS}/{doc['id']}/reindex", headers=agent.headers)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    await wait_done(client, agent, doc["id"])
    assert await chunk_ids() == before

    shorter = (
        b"# Opening hours\n\nWe now open every day from 7 a.m. to 11 p.m., holidays included.\n"
    )
    replaced = await upload_one(client, agent, "hours.md", shorter)
    assert replaced["outcome"] == "replaced"
    assert replaced["document"]["id"] == doc["id"]
    new = await wait_done(client, agent, doc["id"])
    assert new["status"] == "indexed"
    assert new["chunk_count"] == 1 < doc["chunk_count"]
    after = await chunk_ids()
    assert after[0][1] == before[0][1]  # chunk 0 keeps its point id
    found = await search(client, agent, "what time do you open on weekdays", limit=10)
    texts = [h["text"] for h in found["hits"] if h["document_id"] == doc["id"]]
    assert texts and all("every day" in t for t in texts)  # no passage of the old version


async def test_delete_removes_document_and_passages(client, shop, db):
    agent = shop["agent"]
    created = await upload_one(client, agent, "parking.txt", PARKING_TXT, "text/plain")
    doc = await wait_done(client, agent, created["document"]["id"])
    assert (await search(client, agent, "bicycle racks"))["hits"]

    response = await client.delete(f"{DOCS}/{doc['id']}", headers=agent.headers)
    assert response.status_code == 204
    assert_problem(
        await client.get(f"{DOCS}/{doc['id']}", headers=agent.headers), 404, "document_not_found"
    )
    assert (await search(client, agent, "bicycle racks"))["hits"] == []
    async with db.transaction() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM knowledge_chunks WHERE document_id = :d"), {"d": doc["id"]}
        )
    assert left == 0
    assert_problem(
        await client.delete(f"{DOCS}/{doc['id']}", headers=agent.headers), 404, "document_not_found"
    )


async def test_tenants_never_see_each_others_knowledge(client, shop):
    agent, outsider = shop["agent"], shop["outsider"]
    created = await upload_one(client, agent, "hours.md", HOURS_MD)
    doc = await wait_done(client, agent, created["document"]["id"])

    # tenant B asks with tenant A's exact words and finds nothing
    found = await search(client, outsider, "On Saturdays we open from 9 a.m. to 5 p.m.")
    assert found["hits"] == []
    for method, path in (
        ("GET", f"{DOCS}/{doc['id']}"),
        ("DELETE", f"{DOCS}/{doc['id']}"),
        ("POST", f"{DOCS}/{doc['id']}/reindex"),
    ):
        response = await client.request(method, path, headers=outsider.headers)
        assert_problem(response, 404, "document_not_found")
    assert (await client.get(DOCS, headers=outsider.headers)).json()["items"] == []

    # B uploading a file of the same name makes B's own document
    mine = await upload_one(client, outsider, "hours.md", HOURS_MD)
    assert mine["outcome"] == "created"
    assert mine["document"]["id"] != doc["id"]
    await wait_done(client, outsider, mine["document"]["id"])
    hits = (await search(client, outsider, "open on saturdays"))["hits"]
    assert hits and {h["document_id"] for h in hits} == {mine["document"]["id"]}

    # A's document survived all of it
    assert (await wait_done(client, agent, doc["id"]))["status"] == "indexed"
    hits = (await search(client, agent, "open on saturdays"))["hits"]
    assert {h["document_id"] for h in hits} == {doc["id"]}


async def test_customers_and_strangers_are_refused(client, shop):
    customer = shop["customer"]
    assert_problem(await client.get(DOCS, headers=customer.headers), 403, "forbidden")
    assert_problem(
        await client.post(SEARCH, headers=customer.headers, json={"query": "hours"}),
        403,
        "forbidden",
    )
    assert_problem(
        await client.post(
            DOCS, headers=customer.headers, files=files(("a.md", HOURS_MD, "text/markdown"))
        ),
        403,
        "forbidden",
    )
    assert_problem(await client.get(DOCS), 401, "not_authenticated")
    assert_problem(
        await client.get(f"{DOCS}/{uuid.uuid4()}", headers=shop["agent"].headers),
        404,
        "document_not_found",
    )


async def test_search_validates_its_input(client, shop):
    agent = shop["agent"]
    for body in (
        {"query": ""},
        {"query": "x" * 2001},
        {"query": "a\x00b"},
        {"query": "ok", "limit": 0},
    ):
        assert_problem(
            await client.post(SEARCH, headers=agent.headers, json=body), 422, "validation_failed"
        )


async def test_upload_over_the_size_limit_is_413(client, shop, app):
    limit = app.state.settings.knowledge.max_file_bytes * 5 + 65_536
    response = await client.post(
        DOCS,
        headers={**shop["agent"].headers, "content-length": str(limit + 1)},
        content=b"x",
    )
    assert_problem(response, 413, "payload_too_large")
