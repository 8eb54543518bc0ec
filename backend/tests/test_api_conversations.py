"""Conversations and messages through the API: happy paths and every bad input."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code.replace("_", "-"))
    assert body["detail"]
    return body


@pytest.fixture
async def floor(build):
    """Tenant A with two customers and staff; tenant B with an agent."""
    a = await build.tenant()
    b = await build.tenant()
    floor = {
        "a": a,
        "b": b,
        "alice": await build.customer(a),
        "bob": await build.customer(a),
        "agent": await build.staff(a, Role.agent),
        "supervisor": await build.staff(a, Role.supervisor),
        "outsider": await build.staff(b, Role.agent),
    }
    floor["conv"] = await build.conversation(floor["alice"])
    return floor


async def test_customer_opens_conversation(client, build):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    response = await client.post(
        "/api/v1/conversations",
        headers=customer.headers,
        json={"subject": "Refill", "metadata": {"page": "/refills"}},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["channel"] == "web"
    assert body["customer_id"] == str(customer.user_id)
    assert body["tenant_id"] == str(tenant.id)
    assert body["subject"] == "Refill"
    assert body["metadata"] == {"page": "/refills"}


async def test_staff_cannot_open_conversations(client, floor):
    response = await client.post("/api/v1/conversations", headers=floor["agent"].headers)
    assert_problem(response, 403, "forbidden")


async def test_open_conversation_rejects_unknown_fields(client, floor):
    response = await client.post(
        "/api/v1/conversations", headers=floor["alice"].headers, json={"tenant_id": "x"}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "tenant_id"]


async def test_requests_without_token_get_401(client, floor):
    response = await client.get("/api/v1/conversations")
    assert_problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_post_and_read_messages_oldest_first(client, build, floor):
    conv = floor["conv"]
    await build.message(floor["alice"], conv["id"], "first")
    reply = await build.message(floor["agent"], conv["id"], "second")
    assert reply["author_kind"] == "agent"
    assert reply["author_id"] == str(floor["agent"].user_id)
    for reader in ("alice", "agent", "supervisor"):
        response = await client.get(
            f"/api/v1/conversations/{conv['id']}/messages", headers=floor[reader].headers
        )
        assert response.status_code == 200
        items = response.json()["items"]
        assert [(m["author_kind"], m["text"]) for m in items] == [
            ("customer", "first"),
            ("agent", "second"),
        ]
        assert set(items[0]) >= {"id", "conversation_id", "author_kind", "text", "created_at"}


async def test_message_post_returns_stored_message(client, floor):
    conv = floor["conv"]
    response = await client.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        headers=floor["alice"].headers,
        json={"text": "  Can I pick up my prescription today?  "},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "  Can I pick up my prescription today?  "
    assert body["conversation_id"] == conv["id"]
    assert body["author_kind"] == "customer"
    assert body["visibility"] == "public"
    assert body["metadata"] == {}


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"text": ""}, "must not be empty"),
        ({"text": "   \n\t "}, "must not be empty"),
        ({"text": "pill\u0000s"}, "NUL"),
        ({}, "Field required"),
        ({"text": 42}, "valid string"),
        ({"text": "hi", "author_kind": "agent"}, "Extra inputs"),
    ],
    ids=["empty", "blank", "nul-byte", "missing", "not-a-string", "extra-field"],
)
async def test_bad_message_bodies_get_422(client, floor, payload, fragment):
    response = await client.post(
        f"/api/v1/conversations/{floor['conv']['id']}/messages",
        headers=floor["alice"].headers,
        json=payload,
    )
    body = assert_problem(response, 422, "validation_failed")
    assert fragment in body["detail"]
    assert body["errors"]


async def test_message_at_the_limit_is_accepted_and_over_it_refused(client, floor, settings):
    limit = settings.api.max_message_chars
    url = f"/api/v1/conversations/{floor['conv']['id']}/messages"
    ok = await client.post(url, headers=floor["alice"].headers, json={"text": "é" * limit})
    assert ok.status_code == 201
    too_long = await client.post(
        url, headers=floor["alice"].headers, json={"text": "a" * (limit + 1)}
    )
    body = assert_problem(too_long, 422, "message_too_long")
    assert body["limit"] == limit
    assert body["detail"] == f"text is {limit + 1} characters long; the limit is {limit}"


async def test_malformed_json_gets_400(client, floor):
    response = await client.post(
        f"/api/v1/conversations/{floor['conv']['id']}/messages",
        headers={**floor["alice"].headers, "content-type": "application/json"},
        content=b'{"text": "unterminated',
    )
    assert_problem(response, 400, "malformed_json")


async def test_oversized_body_gets_413(client, floor, settings):
    response = await client.post(
        f"/api/v1/conversations/{floor['conv']['id']}/messages",
        headers={**floor["alice"].headers, "content-type": "application/json"},
        content=b'{"text": "' + b"a" * (settings.api.max_body_bytes + 10) + b'"}',
    )
    assert_problem(response, 413, "payload_too_large")


async def test_retry_with_same_client_message_id_stores_once(client, db, floor):
    url = f"/api/v1/conversations/{floor['conv']['id']}/messages"
    payload = {"text": "Is my order ready?", "client_message_id": "widget-1"}
    first = await client.post(url, headers=floor["alice"].headers, json=payload)
    again = await client.post(url, headers=floor["alice"].headers, json=payload)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    async with db.transaction() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM messages WHERE conversation_id = :c"),
            {"c": floor["conv"]["id"]},
        )
    assert count == 1


async def test_closed_conversation_refuses_new_messages_with_409(client, db, floor):
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE conversations SET status = 'resolved' WHERE id = :c"),
            {"c": floor["conv"]["id"]},
        )
    response = await client.post(
        f"/api/v1/conversations/{floor['conv']['id']}/messages",
        headers=floor["alice"].headers,
        json={"text": "one more thing"},
    )
    body = assert_problem(response, 409, "conversation_closed")
    assert "start a new conversation" in body["detail"]


@pytest.mark.parametrize("intruder", ["bob", "outsider"])
async def test_conversation_of_someone_else_is_404_like_an_unknown_id(client, floor, intruder):
    conv_id = floor["conv"]["id"]
    headers = floor[intruder].headers
    seen = await client.get(f"/api/v1/conversations/{conv_id}", headers=headers)
    unknown_id = uuid.uuid4()
    unknown = await client.get(f"/api/v1/conversations/{unknown_id}", headers=headers)
    seen_body = assert_problem(seen, 404, "conversation_not_found")
    unknown_body = assert_problem(unknown, 404, "conversation_not_found")
    assert seen_body["detail"] == f"no conversation {conv_id} was found"
    assert unknown_body["detail"] == f"no conversation {unknown_id} was found"
    for path in ("messages",):
        read = await client.get(f"/api/v1/conversations/{conv_id}/{path}", headers=headers)
        assert_problem(read, 404, "conversation_not_found")
        write = await client.post(
            f"/api/v1/conversations/{conv_id}/{path}", headers=headers, json={"text": "hi"}
        )
        assert_problem(write, 404, "conversation_not_found")


async def test_malformed_conversation_id_gets_422(client, floor):
    response = await client.get("/api/v1/conversations/not-a-uuid", headers=floor["agent"].headers)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["path", "conversation_id"]


async def test_unknown_route_gets_problem_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert_problem(response, 404, "not_found")


async def test_staff_list_their_tenant_with_status_filter_and_cursor(client, build, floor):
    extra = [await build.conversation(floor["bob"]) for _ in range(2)]
    ids = {floor["conv"]["id"], *(c["id"] for c in extra)}
    outsider_conv = await build.conversation(await build.customer(floor["b"]))

    first = await client.get(
        "/api/v1/conversations", headers=floor["agent"].headers, params={"limit": 2}
    )
    assert first.status_code == 200
    page1 = first.json()
    assert len(page1["items"]) == 2
    assert page1["next_cursor"]
    second = await client.get(
        "/api/v1/conversations",
        headers=floor["agent"].headers,
        params={"limit": 2, "cursor": page1["next_cursor"]},
    )
    page2 = second.json()
    assert page2["next_cursor"] is None
    listed = [c["id"] for c in page1["items"] + page2["items"]]
    assert sorted(listed) == sorted(ids)
    assert outsider_conv["id"] not in listed
    stamps = [c["last_message_at"] for c in page1["items"] + page2["items"]]
    assert stamps == sorted(stamps, reverse=True)

    resolved = await client.get(
        "/api/v1/conversations", headers=floor["agent"].headers, params={"status": "resolved"}
    )
    assert resolved.json() == {"items": [], "next_cursor": None}


async def test_customers_list_only_their_own_conversations(client, build, floor):
    await build.conversation(floor["bob"])
    response = await client.get("/api/v1/conversations", headers=floor["alice"].headers)
    assert [c["id"] for c in response.json()["items"]] == [floor["conv"]["id"]]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"cursor": "eyJ0IjogMX0"}, "invalid_cursor"),
        ({"status": "archived"}, "validation_failed"),
        ({"limit": 0}, "validation_failed"),
    ],
    ids=["garbage-cursor", "wrong-shape-cursor", "unknown-status", "zero-limit"],
)
async def test_bad_list_parameters_get_422(client, floor, params, code):
    response = await client.get(
        "/api/v1/conversations", headers=floor["agent"].headers, params=params
    )
    assert_problem(response, 422, code)


async def test_message_pages_follow_the_cursor(client, build, floor):
    conv_id = floor["conv"]["id"]
    for i in range(5):
        await build.message(floor["alice"], conv_id, f"m{i}")
    texts, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=floor["agent"].headers,
            params=params,
        )
        body = response.json()
        texts += [m["text"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert texts == [f"m{i}" for i in range(5)]


async def test_internal_notes_are_hidden_from_customers(client, db, floor):
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO messages (tenant_id, conversation_id, author_kind, author_id, "
                "visibility, text) VALUES (:t, :c, 'agent', :a, 'internal', 'VIP customer')"
            ),
            {"t": floor["a"].id, "c": floor["conv"]["id"], "a": floor["agent"].user_id},
        )
    url = f"/api/v1/conversations/{floor['conv']['id']}/messages"
    customer_view = await client.get(url, headers=floor["alice"].headers)
    staff_view = await client.get(url, headers=floor["agent"].headers)
    assert customer_view.json()["items"] == []
    assert [m["text"] for m in staff_view.json()["items"]] == ["VIP customer"]


async def test_every_change_writes_an_audit_event(client, db, build, floor):
    conv_id = floor["conv"]["id"]
    message = await build.message(floor["alice"], conv_id, "audit me")
    async with db.transaction() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT action, actor_id, actor_kind, subject_id, after FROM audit_events "
                    "WHERE conversation_id = :c ORDER BY id"
                ),
                {"c": conv_id},
            )
        ).all()
    assert [r.action for r in rows] == ["conversation.created", "message.created"]
    assert all(r.actor_id == floor["alice"].user_id and r.actor_kind == "customer" for r in rows)
    assert str(rows[1].subject_id) == message["id"]
    assert rows[1].after == {"author_kind": "customer", "chars": len("audit me")}
