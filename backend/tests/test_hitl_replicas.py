"""The whole human-in-the-loop flow across two backend processes on one database: the AI's
draft is made by the worker of one process, an agent approves it through the other, and the
customer, connected to the first, receives the reply over realtime."""

from __future__ import annotations

import httpx
import pytest
import websockets
from sqlalchemy import text

from contactcenter.auth.principal import Role
from tests.conftest import TEST_JWT_SECRET
from tests.servers import running_server
from tests.test_pipeline import set_threshold
from tests.test_realtime import recv_json, subscribe, ws_url


@pytest.fixture(scope="module")
def two_processes(pg_url, tmp_path_factory):
    base = {
        "DATABASE_URL": pg_url,
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "DEMO_SEED": "false",
        "KNOWLEDGE_WORKER": "false",
        "JOBS_ENABLED": "false",
    }
    with (
        running_server(
            {**base, "PIPELINE_WORKER": "true"}, tmp_path_factory.mktemp("worker"), timeout_s=60
        ) as one,
        running_server(
            {**base, "PIPELINE_WORKER": "false"}, tmp_path_factory.mktemp("api"), timeout_s=60
        ) as two,
    ):
        yield one, two


async def test_drafted_on_one_process_approved_on_the_other(two_processes, build, db):
    one, two = two_processes
    # other tests leave messages they never answered: keep this worker on ours
    async with db.transaction() as session:
        await session.execute(text("UPDATE reply_jobs SET status = 'done' WHERE status <> 'done'"))
    tenant = await build.tenant()
    await set_threshold(db, tenant.id, 1.0)
    customer = await build.customer(tenant)
    agent = await build.staff(tenant, Role.agent)
    conversation = await build.conversation(customer)
    async with (
        websockets.connect(ws_url(one, customer.access_token)) as customer_ws,
        websockets.connect(ws_url(two, agent.access_token)) as agent_ws,
        httpx.AsyncClient(base_url=two, timeout=30) as api,
    ):
        await subscribe(customer_ws, f"conversation:{conversation['id']}")
        await subscribe(agent_ws, f"tenant:{tenant.id}:queue")
        posted = await api.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            headers=customer.headers,
            json={"text": "Do you sell gift cards?"},
        )
        assert posted.status_code == 201, posted.text

        # the worker of process one drafts; the agent on process two sees it
        while True:
            frame = await recv_json(agent_ws, wait_s=60)
            if frame["type"] == "event" and frame["event"]["type"] == "draft.created":
                break
        draft = frame["event"]["draft"]
        assert draft["message_id"] == posted.json()["id"]

        approved = await api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=agent.headers)
        assert approved.status_code == 200, approved.text

        # the customer, on process one, receives the approved reply
        while True:
            frame = await recv_json(customer_ws, wait_s=30)
            event = frame.get("event", {})
            if event.get("type") == "message.created" and event["message"]["metadata"].get(
                "draft_id"
            ):
                break
        assert event["message"]["text"] == draft["text"]
        assert event["message"]["metadata"]["approved_by"] == str(agent.user_id)
