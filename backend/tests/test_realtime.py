"""Realtime over WebSockets, with two backend processes on one database."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from contactcenter.auth.principal import Role
from contactcenter.auth.tokens import TokenIssuer
from contactcenter.realtime.hub import Subscriber
from tests.conftest import TEST_JWT_SECRET
from tests.servers import running_server


@pytest.fixture(scope="module")
def replicas(pg_url, tmp_path_factory):
    """Two independent backend processes sharing the test database."""
    env = {
        "DATABASE_URL": pg_url,
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "DEMO_SEED": "false",
        "REALTIME_HEARTBEAT_INTERVAL_S": "0.5",
        # each replica has its own embedded vector store: keep them off the shared ingestion
        # queue (the session app indexes the knowledge tests' documents)
        "KNOWLEDGE_WORKER": "false",
        # these tests count the frames a message causes: no AI replies in between
        "PIPELINE_WORKER": "false",
        "JOBS_ENABLED": "false",
    }
    with (
        running_server(env, tmp_path_factory.mktemp("replica1")) as one,
        running_server(env, tmp_path_factory.mktemp("replica2")) as two,
    ):
        yield one, two


def token_for(settings, actor, ttl_s: int) -> str:
    """An access token for `actor` with its own lifetime, signed like the servers expect."""
    return (
        TokenIssuer(settings.auth, TEST_JWT_SECRET, "http://test/auth/v1")
        .issue(
            user_id=actor.user_id,
            tenant_id=actor.tenant_id,
            role=actor.role,
            email=actor.email,
            is_anonymous=False,
            session_id=actor.user_id,
            ttl_s=ttl_s,
        )
        .token
    )


def ws_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://") + f"/api/v1/realtime?access_token={token}"


async def recv_json(ws, wait_s: float = 5.0, skip: tuple[str, ...] = ("heartbeat",)) -> dict:
    deadline = time.monotonic() + wait_s
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if frame["type"] not in skip:
            return frame


async def subscribe(ws, topic: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "subscribe", "topic": topic, "ref": topic}))
    return await recv_json(ws)


async def test_message_posted_on_one_replica_arrives_on_the_other(replicas, build):
    one, two = replicas
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    agent = await build.staff(tenant, Role.agent)
    conversation = await build.conversation(customer)
    topic = f"conversation:{conversation['id']}"
    tenant_topic = f"tenant:{tenant.id}:conversations"

    async with (
        websockets.connect(ws_url(two, agent.access_token)) as agent_ws,
        websockets.connect(ws_url(one, customer.access_token)) as customer_ws,
    ):
        assert await subscribe(agent_ws, topic) == {
            "type": "subscribed",
            "topic": topic,
            "ref": topic,
        }
        assert (await subscribe(agent_ws, tenant_topic))["type"] == "subscribed"
        assert (await subscribe(customer_ws, topic))["type"] == "subscribed"

        async with httpx.AsyncClient(base_url=one) as http:
            response = await http.post(
                f"/api/v1/conversations/{conversation['id']}/messages",
                headers=customer.headers,
                json={"text": "My delivery has not arrived"},
            )
        assert response.status_code == 201
        message_id = response.json()["id"]

        received = {}
        for _ in range(2):
            frame = await recv_json(agent_ws)
            received[frame["topic"]] = frame
        assert set(received) == {topic, tenant_topic}
        event = received[topic]["event"]
        assert event["type"] == "message.created"
        assert event["message"]["id"] == message_id
        assert event["message"]["text"] == "My delivery has not arrived"

        echo = await recv_json(customer_ws)
        assert echo["event"]["message"]["id"] == message_id


async def test_subscriptions_are_checked_against_the_callers_rights(replicas, build):
    one, _ = replicas
    a = await build.tenant()
    b = await build.tenant()
    alice = await build.customer(a)
    bob = await build.customer(a)
    agent_a = await build.staff(a, Role.agent)
    agent_b = await build.staff(b, Role.agent)
    supervisor_a = await build.staff(a, Role.supervisor)
    conv = await build.conversation(alice)

    cases = [
        (agent_b, f"conversation:{conv['id']}", "forbidden_topic"),
        (agent_b, f"tenant:{a.id}:queue", "forbidden_topic"),
        (bob, f"conversation:{conv['id']}", "forbidden_topic"),
        (alice, f"tenant:{a.id}:conversations", "forbidden_topic"),
        (agent_a, f"tenant:{a.id}:dashboard", "forbidden_topic"),
        (agent_a, f"tenant:{a.id}:payroll", "unknown_topic"),
        (agent_a, "conversation:not-a-uuid", "unknown_topic"),
        (agent_a, "everything", "unknown_topic"),
        (agent_a, f"tenant:{a.id}:queue", None),
        (supervisor_a, f"tenant:{a.id}:dashboard", None),
        (alice, f"conversation:{conv['id']}", None),
    ]
    for actor, topic, refusal in cases:
        async with websockets.connect(ws_url(one, actor.access_token)) as ws:
            frame = await subscribe(ws, topic)
            if refusal is None:
                assert frame["type"] == "subscribed", (actor.role, topic, frame)
            else:
                assert frame["type"] == "error", (actor.role, topic, frame)
                assert frame["code"] == refusal
                assert frame["topic"] == topic


async def test_socket_with_bad_token_is_closed_with_4001(replicas):
    one, _ = replicas
    async with websockets.connect(ws_url(one, "not.a.token")) as ws:
        frame = await recv_json(ws)
        assert frame["type"] == "error"
        assert frame["code"] == "invalid_token"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4001


async def test_socket_closes_when_its_token_expires(replicas, build, settings):
    one, _ = replicas
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    started = time.monotonic()
    async with websockets.connect(ws_url(one, token_for(settings, agent, ttl_s=2))) as ws:
        frame = await recv_json(ws, wait_s=6)
        assert frame == {
            "type": "error",
            "code": "token_expired",
            "message": "the access token expired; reconnect with a fresh one",
        }
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4001
    assert 1.0 < time.monotonic() - started < 6


async def test_heartbeats_and_ping(replicas, build):
    one, _ = replicas
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    async with websockets.connect(ws_url(one, agent.access_token)) as ws:
        assert (await recv_json(ws, skip=()))["type"] == "heartbeat"
        await ws.send(json.dumps({"type": "ping", "ref": "p1"}))
        assert await recv_json(ws) == {"type": "pong", "ref": "p1"}
        await ws.send("{not json")
        frame = await recv_json(ws)
        assert frame["type"] == "error"
        assert frame["code"] == "invalid_frame"
        await ws.send(b"\x00binary")
        assert (await recv_json(ws))["message"] == "send JSON text frames, not binary"
        await ws.send(json.dumps({"type": "ping", "ref": "still-open"}))
        assert await recv_json(ws) == {"type": "pong", "ref": "still-open"}


async def test_fresh_token_keeps_the_socket_open_past_the_old_expiry(replicas, build, settings):
    one, _ = replicas
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    other = await build.staff(tenant, Role.agent)
    async with websockets.connect(ws_url(one, token_for(settings, agent, 2))) as ws:
        await ws.send(
            json.dumps(
                {"type": "auth", "access_token": token_for(settings, other, 600), "ref": "x"}
            )
        )
        refused = await recv_json(ws)
        assert (refused["code"], refused["message"]) == (
            "invalid_token",
            "the token is for another user",
        )
        await ws.send(
            json.dumps(
                {"type": "auth", "access_token": token_for(settings, agent, 600), "ref": "a"}
            )
        )
        ack = await recv_json(ws)
        assert ack["type"] == "authenticated"
        assert ack["ref"] == "a"
        await asyncio.sleep(2.5)
        await ws.send(json.dumps({"type": "ping", "ref": "after"}))
        assert await recv_json(ws) == {"type": "pong", "ref": "after"}


async def test_event_larger_than_notify_limit_is_still_delivered(replicas, build):
    """4,000 two-byte characters make an envelope over NOTIFY's 8,000 bytes: it is spilled."""
    _, two = replicas
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    agent = await build.staff(tenant, Role.agent)
    conversation = await build.conversation(customer)
    topic = f"conversation:{conversation['id']}"
    text = "é" * 4000
    async with websockets.connect(ws_url(two, agent.access_token)) as ws:
        await subscribe(ws, topic)
        await build.message(customer, conversation["id"], text)
        frame = await recv_json(ws)
    assert frame["event"]["message"]["text"] == text


async def test_knowledge_progress_reaches_the_tenants_staff_only(replicas, build):
    one, two = replicas
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    admin = await build.staff(tenant, Role.admin)
    customer = await build.customer(tenant)
    topic = f"tenant:{tenant.id}:knowledge"

    async with (
        websockets.connect(ws_url(two, agent.access_token)) as agent_ws,
        websockets.connect(ws_url(two, customer.access_token)) as customer_ws,
    ):
        assert (await subscribe(agent_ws, topic))["type"] == "subscribed"
        refused = await subscribe(customer_ws, topic)
        assert refused["type"] == "error" and refused["code"] == "forbidden_topic"

        async with httpx.AsyncClient(base_url=one) as http:
            response = await http.post(
                "/api/v1/knowledge/documents",
                headers=admin.headers,
                files=[
                    ("files", ("returns.md", b"# Returns\n\nWithin 30 days.\n", "text/markdown"))
                ],
            )
        assert response.status_code == 202, response.text
        document_id = response.json()["results"][0]["document"]["id"]

        frame = await recv_json(agent_ws)
        assert frame["topic"] == topic
        event = frame["event"]
        assert event["type"] == "knowledge.document.updated"
        assert event["document"]["id"] == document_id
        assert event["document"]["status"] == "queued"
        assert event["document"]["filename"] == "returns.md"


async def test_a_full_send_queue_calls_for_the_socket_to_close_once():
    closes: list[str] = []
    subscriber = Subscriber(is_staff=True, queue=asyncio.Queue(maxsize=2))
    subscriber.on_overflow = lambda: closes.append("too slow")
    for n in range(5):
        subscriber.offer(f'{{"n": {n}}}')
    assert subscriber.queue.qsize() == 2  # the first frames are kept for the client
    assert subscriber.overflowed
    assert closes == ["too slow"]
