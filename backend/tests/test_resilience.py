"""When the database is unreachable the API says so (503, Retry-After) and nothing is lost."""

from __future__ import annotations

from sqlalchemy import text

from contactcenter.core import database
from contactcenter.core.config import DatabaseSettings


async def test_unreachable_database_gives_503_and_the_retry_stores_once(
    app, client, db, build, tmp_path
):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    conversation = await build.conversation(customer)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    payload = {"text": "Please call me back", "client_message_id": "retry-1"}

    dead_settings = app.state.settings.model_copy(
        update={"db": DatabaseSettings(url=f"postgresql://postgres@/postgres?host={tmp_path}")}
    )
    dead = await database.connect(dead_settings)
    app.state.db = dead
    try:
        response = await client.post(url, headers=customer.headers, json=payload)
    finally:
        app.state.db = db
        await dead.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["code"] == "service_unavailable"

    first = await client.post(url, headers=customer.headers, json=payload)
    again = await client.post(url, headers=customer.headers, json=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    async with db.transaction() as session:
        stored = await session.scalar(
            text("SELECT count(*) FROM messages WHERE conversation_id = :c"),
            {"c": conversation["id"]},
        )
    assert stored == 1
