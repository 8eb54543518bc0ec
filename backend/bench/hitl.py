"""Human-in-the-loop benchmark: customer message -> draft visible in the agent's queue, and
approval -> reply at the customer, with N concurrent conversations (default 100).

Run from backend/: ``.venv/bin/python -m bench.hitl`` (``make bench`` runs it). It starts an
embedded PostgreSQL and ``contactcenter serve`` with the reply worker (as ``bench.foundation``
does), waits until the demo knowledge base is indexed, and sets the demo tenant's threshold to
1.0 so that every reply becomes a draft. Then:

1. every customer (a WebSocket on its conversation) posts one question at once; an agent's
   WebSocket on ``tenant:<id>:queue`` times each ``draft.created`` from the start of its POST;
2. the agent approves every draft (``BENCH_APPROVERS`` requests in flight, default 10); each
   customer's WebSocket times the reply's ``message.created`` from the start of the approval.

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.foundation import AGENT_EMAIL, BenchServer, percentile

QUESTIONS = [
    "Do you sell gift cards?",
    "Can I return an opened bottle of vitamins?",
    "How long does delivery take to the suburbs?",
    "Do you price match other pharmacies?",
    "Can I get my flu shot without an appointment?",
]


def summary(values: list[float]) -> dict[str, float | None]:
    out = {f"p{q}": percentile(values, q) for q in (50, 95, 99)}
    return {k: (round(v, 1) if v is not None else None) for k, v in out.items()}


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def wait_for_knowledge(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for _ in range(600):
        response = await client.get("/api/v1/knowledge/documents?limit=100", headers=headers)
        items = response.json()["items"]
        if items and all(d["status"] in ("indexed", "failed") for d in items):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("the demo knowledge base was not indexed in time")


async def run(server: BenchServer, conversations: int, approvers: int) -> dict[str, Any]:
    base = server.base_url
    ws_base = server.ws_url
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        agent = await login(client, AGENT_EMAIL, server.demo_password)
        supervisor = await login(client, "supervisor@demo.example", server.demo_password)
        staff = {"Authorization": f"Bearer {agent}"}
        await wait_for_knowledge(client, staff)
        response = await client.patch(
            "/api/v1/tenant/policy",
            headers={"Authorization": f"Bearer {supervisor}"},
            json={"confidence_threshold": 1.0},
        )
        response.raise_for_status()
        me = await client.get("/api/v1/auth/me", headers=staff)
        tenant_id = me.json()["tenant_id"]

        customers: list[dict[str, Any]] = []
        for _ in range(conversations):
            session = (await client.post("/api/v1/widget/session", json={"tenant": "demo"})).json()
            token = session["access_token"]
            conversation = (
                await client.post(
                    "/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}, json={}
                )
            ).json()
            customers.append({"token": token, "conversation": conversation["id"]})

        posted_at: dict[str, float] = {}
        visible_ms: dict[str, float] = {}
        drafts: dict[str, dict[str, Any]] = {}
        approved_at: dict[str, float] = {}
        delivered_ms: dict[str, float] = {}
        all_drafts = asyncio.Event()
        all_replies = asyncio.Event()

        async def agent_queue() -> None:
            async with connect(f"{ws_base}?access_token={agent}", max_size=None) as ws:
                await ws.send(
                    json.dumps({"type": "subscribe", "topic": f"tenant:{tenant_id}:queue"})
                )
                ready.set()
                async for raw in ws:
                    frame = json.loads(raw)
                    event = frame.get("event") or {}
                    if event.get("type") != "draft.created":
                        continue
                    draft = event["draft"]
                    message_id = draft["message_id"]
                    if message_id in posted_at:
                        visible_ms[message_id] = (
                            time.perf_counter() - posted_at[message_id]
                        ) * 1000
                        drafts[message_id] = draft
                        if len(visible_ms) == conversations:
                            all_drafts.set()
                            return

        async def customer_socket(customer: dict[str, Any], opened: asyncio.Event) -> None:
            async with connect(f"{ws_base}?access_token={customer['token']}", max_size=None) as ws:
                topic = f"conversation:{customer['conversation']}"
                await ws.send(json.dumps({"type": "subscribe", "topic": topic}))
                opened.set()
                async for raw in ws:
                    event = json.loads(raw).get("event") or {}
                    if event.get("type") != "message.created":
                        continue
                    draft_id = event["message"]["metadata"].get("draft_id")
                    if draft_id and draft_id in approved_at:
                        delivered_ms[draft_id] = (
                            time.perf_counter() - approved_at[draft_id]
                        ) * 1000
                        if len(delivered_ms) == conversations:
                            all_replies.set()
                        return

        ready = asyncio.Event()
        queue_task = asyncio.create_task(agent_queue())
        opened = [asyncio.Event() for _ in customers]
        sockets = [
            asyncio.create_task(customer_socket(c, e))
            for c, e in zip(customers, opened, strict=True)
        ]
        await ready.wait()
        await asyncio.gather(*(e.wait() for e in opened))

        async def post(index: int, customer: dict[str, Any]) -> None:
            started = time.perf_counter()
            response = await client.post(
                f"/api/v1/conversations/{customer['conversation']}/messages",
                headers={"Authorization": f"Bearer {customer['token']}"},
                json={"text": QUESTIONS[index % len(QUESTIONS)]},
            )
            response.raise_for_status()
            posted_at[response.json()["id"]] = started

        phase1 = time.perf_counter()
        await asyncio.gather(*(post(i, c) for i, c in enumerate(customers)))
        await asyncio.wait_for(all_drafts.wait(), 300)
        phase1_s = time.perf_counter() - phase1
        await queue_task

        gate = asyncio.Semaphore(approvers)

        async def approve(draft: dict[str, Any]) -> None:
            async with gate:
                approved_at[draft["id"]] = time.perf_counter()
                response = await client.post(f"/api/v1/drafts/{draft['id']}/approve", headers=staff)
                response.raise_for_status()

        phase2 = time.perf_counter()
        await asyncio.gather(*(approve(d) for d in drafts.values()))
        await asyncio.wait_for(all_replies.wait(), 120)
        phase2_s = time.perf_counter() - phase2
        await asyncio.gather(*sockets)

    return {
        "conversations": conversations,
        "message_to_draft_visible_ms": summary(list(visible_ms.values())),
        "drafts_per_s": round(conversations / phase1_s, 1),
        "approve_to_customer_ms": summary(list(delivered_ms.values())),
        "approvals_per_s": round(conversations / phase2_s, 1),
        "approvers_in_flight": approvers,
    }


def main() -> None:
    conversations = int(os.environ.get("BENCH_CONVERSATIONS", "100"))
    approvers = int(os.environ.get("BENCH_APPROVERS", "10"))
    server = BenchServer({"PIPELINE_WORKER": "true", "JOBS_ENABLED": "false"})
    try:
        server.start()
        result = asyncio.run(run(server, conversations, approvers))
        peak, _ = server.peak_rss_mb()
        result["server_peak_rss_mb"] = peak
    finally:
        server.stop()
    v, a = result["message_to_draft_visible_ms"], result["approve_to_customer_ms"]
    print(f"human in the loop, {conversations} concurrent conversations")
    print(f"  message -> draft in the queue   p50 {v['p50']} ms  p95 {v['p95']} ms")
    print(f"  approval -> reply at customer   p50 {a['p50']} ms  p95 {a['p95']} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
