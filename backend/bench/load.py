"""Load harness: N simulated customers, each holding a conversation of several messages over
HTTP and WebSocket, and a few simulated agents approving drafts, against the product started on
embedded defaults. ``make load CUSTOMERS=N`` (not part of ``make test``).

    .venv/bin/python -m bench.load --customers 1000 [--messages 3] [--agents 3]
        [--llm-latency-ms 1000]   # a local OpenAI-compatible server instead of the offline one

Customers keep a human pace: they arrive at ``--ramp`` a second and pause ``--think-s`` on
average (uniformly half to one and a half times it) between a reply and their next message, the
time it takes to read a reply and type; with 1,000 customers, 30 s and 20 a second, all 1,000
conversations are open at once about a minute in, and about 33 messages a second arrive.
``--think-s 1`` makes a stress test of the same crowd.

Per customer message it measures the first response (POST start -> the AI's reply or the
hand-over notice on the customer's socket), the realtime delivery of the customer's own message
(POST start -> its ``message.created`` on the socket), and for drafts the time until an agent's
socket shows them and from approval to the reply on the customer's socket. A message the
pipeline never gave an outcome is lost; one with no reply on the customer's socket within 60 s
(an agent had not approved it yet) is unanswered. The server's event-loop lag and its full
garbage collections come from its ``/metrics``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.foundation import AGENT_EMAIL, BenchServer, CpuMeter, free_port, percentile
from bench.hitl import login, wait_for_knowledge

QUESTIONS = [
    "What time do you open on Saturday?",
    "Are you open on Sundays?",
    "How much does delivery cost?",
    "Can I return an opened bottle of vitamins?",
    "Do you accept my insurance card?",
    "How do I refill my prescription?",
    "Is my health information shared with anyone?",
    "Do you sell gift cards?",
    "Where is my order 48213? It hasn't arrived.",
    "Can someone else pick up my prescription?",
]


def pct(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return round(value, 1) if value is not None else None


class Stats:
    def __init__(self) -> None:
        self.posted: dict[str, float] = {}  # message id -> POST start
        self.turn: dict[str, int] = {}  # message id -> its place in the conversation (0, 1, ...)
        self.sending: dict[str, float] = {}  # client_message_id -> POST start
        self.seen_drafts: set[str] = set()
        self.first_response: dict[str, float] = {}
        # who gave the first response: "ai" (a reply), "system" (the hand-over notice) or
        # "agent" (a person; the AI says nothing more while a conversation waits for one)
        self.answered_by: dict[str, str] = {}
        self.delivery: list[float] = []
        self.draft_visible: list[float] = []
        self.approved_at: dict[str, float] = {}
        self.approve_to_customer: list[float] = []
        self.errors = 0
        self.error_kinds: dict[str, int] = {}
        self.disconnects = 0  # sockets the server closed mid-run (an agent reconnects)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def customer(
    index: int, base: str, ws_base: str, messages: int, stats: Stats, think_s: float
) -> None:
    rng = random.Random(index)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        try:
            session = (await client.post("/api/v1/widget/session", json={"tenant": "demo"})).json()
            token = session["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            conversation = (await client.post("/api/v1/conversations", headers=headers)).json()
        except (httpx.HTTPError, KeyError) as exc:
            stats.error(f"start: {type(exc).__name__}")
            return
        answered: dict[str, asyncio.Event] = {}
        replied: dict[str, float] = {}  # message id -> when its first response arrived
        # no client pings, as from a browser: the server sends its own heartbeats
        async with connect(
            f"{ws_base}?access_token={token}", max_size=None, ping_interval=None
        ) as ws:
            topic = f"conversation:{conversation['id']}"
            await ws.send(json.dumps({"type": "subscribe", "topic": topic}))

            async def listen() -> None:
                try:
                    async for raw in ws:
                        on_frame(raw)
                except ConnectionClosed:
                    stats.disconnects += 1

            def on_frame(raw: str | bytes) -> None:
                event = json.loads(raw).get("event") or {}
                if event.get("type") != "message.created":
                    return
                message = event["message"]
                now = time.perf_counter()
                if message["author_kind"] == "customer":
                    sent = stats.sending.get(message.get("client_message_id") or "")
                    if sent is not None:
                        stats.delivery.append((now - sent) * 1000)
                    return
                meta = message.get("metadata") or {}
                draft_id = meta.get("draft_id")
                if draft_id and draft_id in stats.approved_at:
                    stats.approve_to_customer.append((now - stats.approved_at[draft_id]) * 1000)
                asked = meta.get("in_reply_to")
                if asked and asked not in replied:
                    # the reply can beat the POST's own response: keep its time either way
                    replied[asked] = now
                    stats.answered_by[asked] = message["author_kind"]
                    if asked in answered:
                        answered[asked].set()

            listener = asyncio.create_task(listen())
            for _ in range(messages):
                started = time.perf_counter()
                client_id = f"load-{index}-{len(answered)}-{rng.random():.8f}"
                stats.sending[client_id] = started
                try:
                    response = await client.post(
                        f"/api/v1/conversations/{conversation['id']}/messages",
                        headers=headers,
                        json={"text": rng.choice(QUESTIONS), "client_message_id": client_id},
                    )
                    response.raise_for_status()
                except httpx.HTTPError as exc:
                    status = getattr(getattr(exc, "response", None), "status_code", None)
                    stats.error(f"message: {status or type(exc).__name__}")
                    continue
                message_id = response.json()["id"]
                stats.posted[message_id] = started
                stats.turn[message_id] = len(answered)
                answered[message_id] = asyncio.Event()
                if message_id in replied:
                    answered[message_id].set()
                try:
                    await asyncio.wait_for(answered[message_id].wait(), 60)
                except TimeoutError:
                    pass  # counted as lost unless it arrives before the end
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
            await asyncio.sleep(2)  # replies to approved drafts
            listener.cancel()
            for message_id, at in replied.items():
                if message_id in stats.posted:
                    stats.first_response[message_id] = (at - stats.posted[message_id]) * 1000


async def agent(
    base: str, ws_base: str, token: str, tenant_id: str, stats: Stats, stop: asyncio.Event
) -> None:
    """One agent: notes each draft the moment its queue shows it, and approves them one at a
    time, as a person works through a queue."""
    headers = {"Authorization": f"Bearer {token}"}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def note(draft: dict[str, Any]) -> None:
        if draft["id"] in stats.seen_drafts:
            return  # another agent has it
        stats.seen_drafts.add(draft["id"])
        asked = stats.posted.get(draft["message_id"])
        if asked is not None:
            stats.draft_visible.append((time.perf_counter() - asked) * 1000)
        if draft["text"]:
            inbox.put_nowait(draft)

    async def watch(client: httpx.AsyncClient) -> None:
        """The queue's events; after a disconnect, reconnect and catch up over REST, as the
        web app does."""
        while True:
            try:
                async with connect(
                    f"{ws_base}?access_token={token}", max_size=None, ping_interval=None
                ) as ws:
                    topic = f"tenant:{tenant_id}:queue"
                    await ws.send(json.dumps({"type": "subscribe", "topic": topic}))
                    pending = await client.get("/api/v1/drafts?limit=200", headers=headers)
                    for draft in pending.json().get("items", []):
                        note(draft)
                    async for raw in ws:
                        event = json.loads(raw).get("event") or {}
                        if event.get("type") == "draft.created":
                            note(event["draft"])
            except (ConnectionClosed, OSError, httpx.HTTPError):
                stats.disconnects += 1
                await asyncio.sleep(1)

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        watcher = asyncio.create_task(watch(client))
        while not stop.is_set():
            try:
                draft = await asyncio.wait_for(inbox.get(), 0.5)
            except TimeoutError:
                continue
            stats.approved_at[draft["id"]] = time.perf_counter()
            response = await client.post(f"/api/v1/drafts/{draft['id']}/approve", headers=headers)
            if response.status_code not in (200, 409):  # 409: already decided
                stats.error(f"approve: {response.status_code}")
        watcher.cancel()


async def run(server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        agent_token = await login(client, AGENT_EMAIL, server.demo_password)
        await wait_for_knowledge(client, {"Authorization": f"Bearer {agent_token}"})
        tenant_id = (
            await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {agent_token}"})
        ).json()["tenant_id"]
    # warm-up (not measured): the first replies load the triage and guard models
    warm = Stats()
    await customer(-1, server.base_url, server.ws_url, 3, warm, 0.1)
    stats = Stats()
    stop = asyncio.Event()
    agents = [
        asyncio.create_task(
            agent(server.base_url, server.ws_url, agent_token, tenant_id, stats, stop)
        )
        for _ in range(args.agents)
    ]
    meter = CpuMeter(server.pid, server.postmaster_pid())
    harness_lag: list[float] = []

    async def watch_own_loop() -> None:  # the harness shares the machine: is it keeping up?
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.1)
            harness_lag.append(max(0.0, time.perf_counter() - asked - 0.1) * 1000)

    own_loop = asyncio.create_task(watch_own_loop())
    scraped = await scrape(server.base_url)
    engine_scraped = await scrape(server.base_url, "/metrics/engine")
    before = meter.snapshot()
    started = time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(i / args.ramp)  # customers arrive at a steady rate, then stay
        await customer(i, server.base_url, server.ws_url, args.messages, stats, args.think_s)

    await asyncio.gather(*(one(i) for i in range(args.customers)))
    elapsed = time.perf_counter() - started
    after = meter.snapshot()
    own_loop.cancel()
    rescraped = await scrape(server.base_url)
    engine_rescraped = await scrape(server.base_url, "/metrics/engine")
    lag = bucket_quantiles(
        histogram(scraped, "event_loop_lag_seconds"),
        histogram(rescraped, "event_loop_lag_seconds"),
        (50, 95, 99),
    )
    # the message POST as the server timed it (middleware to response): the rest of the
    # customer's wait is the network, the realtime path and this harness
    post_route = 'method="POST",route="/api/v1/conversations/{conversation_id}/messages"'
    post_server = bucket_quantiles(
        histogram(scraped, "http_request_duration_seconds", post_route),
        histogram(rescraped, "http_request_duration_seconds", post_route),
        (50, 95, 99),
    )
    engine_lag = bucket_quantiles(
        histogram(engine_scraped, "event_loop_lag_seconds"),
        histogram(engine_rescraped, "event_loop_lag_seconds"),
        (50, 95, 99),
    )
    # full collections of both processes (the engine's scrape is empty without one)
    full_before = histogram(scraped + engine_scraped, "gc_pause_seconds", 'generation="2"')
    full_after = histogram(rescraped + engine_rescraped, "gc_pause_seconds", 'generation="2"')
    stop.set()
    await asyncio.gather(*agents, return_exceptions=True)
    cpu = CpuMeter.delta(before, after)

    def share(seconds: float) -> float | None:
        return round(100 * seconds / cpu["wall"], 1) if cpu["wall"] else None

    first = list(stats.first_response.values())
    by_ai = {
        mid: ms
        for mid, ms in stats.first_response.items()
        if stats.answered_by.get(mid) in ("ai", "system")
    }
    peak, _ = server.peak_rss_mb()
    where = await where_the_time_goes(server.pg_uri, tenant_id, set(stats.posted))
    return {
        "customers": args.customers,
        "messages": len(stats.posted),
        "errors": stats.errors,
        "errors_by_kind": stats.error_kinds,
        # stored but never given an outcome by the pipeline (dropped): must be zero
        "lost_messages": where.pop("without_outcome"),
        # no reply on the customer's socket before the run ended (an agent still had it)
        "unanswered_messages": len(stats.posted) - len(stats.first_response),
        "first_response_p50_ms": pct(first, 50),
        "first_response_p95_ms": pct(first, 95),
        "first_response_p99_ms": pct(first, 99),
        "first_response_p95_ms_by_turn": [
            pct([ms for mid, ms in stats.first_response.items() if stats.turn[mid] == turn], 95)
            for turn in range(args.messages)
        ],
        # the AI's own first response (its reply, or the notice that a person will answer):
        # the issue's "first AI response"; the rest were answered first by a person
        "first_ai_response_p50_p95_p99_ms": [pct(list(by_ai.values()), q) for q in (50, 95, 99)],
        "first_ai_response_p95_ms_by_turn": [
            pct([ms for mid, ms in by_ai.items() if stats.turn[mid] == turn], 95)
            for turn in range(args.messages)
        ],
        "answered_first_by_a_person": len(stats.first_response) - len(by_ai),
        "draft_to_queue_p95_ms": pct(stats.draft_visible, 95),
        "approve_to_customer_p95_ms": pct(stats.approve_to_customer, 95),
        "realtime_delivery_p95_ms": pct(stats.delivery, 95),
        "message_post_server_p50_p95_p99_ms": post_server,
        "messages_per_s": round(len(stats.posted) / elapsed, 1),
        "peak_rss_mb": peak,
        "cpu_percent": round(100 * cpu["server"] / cpu["wall"], 1) if cpu["wall"] else None,
        "postgres_cpu_percent": round(100 * cpu["postgres"] / cpu["wall"], 1)
        if cpu["wall"]
        else None,
        # the harness shares the machine: its own CPU is part of the picture
        "harness_cpu_percent": round(100 * cpu["bench"] / cpu["wall"], 1) if cpu["wall"] else None,
        # the whole machine (every process, of 100 % per core), and what the host took from
        # it: a run on a busy host is not comparable with one on an idle host
        "machine_cpu_percent": share(cpu["machine"]),
        "steal_percent": share(cpu["steal"]),
        "drafts": len(stats.draft_visible),
        "ws_disconnects": stats.disconnects,
        # the server's event loop: how late it ran a callback asked for "now" (upper bucket
        # bounds of its histogram, ms); every request, socket and reply job waits this long
        "event_loop_lag_p50_p95_p99_ms": lag,
        # the same for the engine process (reply jobs), when the server runs one
        "engine_loop_lag_p50_p95_p99_ms": engine_lag,
        # full garbage collections during the run and their longest pause (bucket bound, ms)
        # the harness's own event loop: its lateness is part of every figure above
        "harness_loop_lag_p95_p99_ms": [pct(harness_lag, 95), pct(harness_lag, 99)],
        "gc_full_collections": int(
            full_after.get(float("inf"), 0) - full_before.get(float("inf"), 0)
        ),
        "gc_full_pause_max_ms": bucket_quantiles(full_before, full_after, (100,))[0],
        "llm_latency_ms": args.llm_latency_ms,
        # what the server logged at WARNING or above, by event
        "server_warnings": server_warnings(server),
        **where,
    }


def server_warnings(server: BenchServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in server.warning_lines():
        try:
            event = str(json.loads(line).get("event", "?"))
        except ValueError:
            event = line[:80]
        counts[event] = counts.get(event, 0) + 1
    return counts


async def scrape(base: str, path: str = "/metrics") -> str:
    """A Prometheus scrape; empty when there is none (`/metrics/engine` without an engine)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.get(path)
        return response.text if response.status_code == 200 else ""


def histogram(body: str, name: str, label: str = "") -> dict[float, float]:
    """One Prometheus histogram from a scrape: upper bound -> cumulative count. `label`
    (`generation="2"`) picks one series."""
    buckets: dict[float, float] = {}
    for line in body.splitlines():
        if line.startswith(f"{name}_bucket{{") and label in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] = buckets.get(float(bound), 0.0) + float(line.rsplit(" ", 1)[1])
    return buckets


def bucket_quantiles(
    before: dict[float, float], after: dict[float, float], qs: tuple[float, ...]
) -> list[float | None]:
    """Quantiles (as the bucket's upper bound, ms) of what was observed between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    result: list[float | None] = []
    for q in qs:
        bound = next(
            (b for b, c in zip(bounds, counts, strict=True) if total and c >= total * q / 100), None
        )
        result.append(None if bound is None else bound * 1000)
    return result


async def where_the_time_goes(pg_uri: str, tenant_id: str, posted: set[str]) -> dict[str, Any]:
    """From the stored jobs and outcomes: how long replies waited for a worker, and how long
    each pipeline stage took (p50 / p95 ms), to say what limits the first response."""
    conn = await asyncpg.connect(pg_uri)
    try:
        rows = await conn.fetch(
            "SELECT extract(epoch FROM o.created_at - j.created_at) * 1000 AS job_ms, "
            "o.latency_ms FROM ai_outcomes o JOIN reply_jobs j ON j.message_id = o.message_id "
            "WHERE o.tenant_id = $1",
            uuid.UUID(tenant_id),
        )
        with_outcome = {
            str(r["message_id"])
            for r in await conn.fetch(
                "SELECT message_id FROM ai_outcomes WHERE tenant_id = $1", uuid.UUID(tenant_id)
            )
        }
    finally:
        await conn.close()
    stages: dict[str, list[float]] = {}
    waits: list[float] = []
    for row in rows:
        latency = json.loads(row["latency_ms"]) if isinstance(row["latency_ms"], str) else {}
        total = float(latency.get("total", 0.0))
        waits.append(max(0.0, float(row["job_ms"]) - total))
        for stage, ms in latency.items():
            stages.setdefault(stage, []).append(float(ms))
    return {
        "without_outcome": len(posted - with_outcome),
        # message stored -> outcome stored, minus the pipeline's own time: the queue and the
        # storing transaction
        "job_wait_p50_ms": pct(waits, 50),
        "job_wait_p95_ms": pct(waits, 95),
        "stage_p50_p95_ms": {
            stage: [pct(values, 50), pct(values, 95)] for stage, values in sorted(stages.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=3, help="per customer")
    parser.add_argument(
        "--agents", type=int, default=None, help="default: one per 50 customers, at least 3"
    )
    parser.add_argument(
        "--think-s",
        type=float,
        default=30.0,
        help="mean pause between a reply and the next message",
    )
    parser.add_argument("--ramp", type=float, default=20, help="customers arriving per second")
    parser.add_argument(
        "--web-processes", type=int, default=1, help="WEB_CONCURRENCY: processes for HTTP and WS"
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="the whole server in one process (default: the engine in a second one)",
    )
    parser.add_argument(
        "--llm-latency-ms",
        type=float,
        default=None,
        help="answer with a local OpenAI-compatible server of this latency instead of offline",
    )
    args = parser.parse_args()
    if args.agents is None:
        args.agents = max(3, args.customers // 50)
    env = {
        "PIPELINE_WORKER": "true",
        "PIPELINE_CONCURRENCY": "32",
        "ENGINE_PROCESS": "false" if args.one_process else "true",
        "WEB_CONCURRENCY": str(args.web_processes),
        "JOBS_ENABLED": "false",
        # one machine plays every customer from one address: the per-client limits stay on
        # (each customer is its own session) but the per-address bucket would throttle the
        # harness's session creation, and the tenant bucket the whole crowd
        "RATELIMIT_CLIENT_BURST": "1000",
        "RATELIMIT_TENANT_PER_S": "100000",
        "RATELIMIT_TENANT_BURST": "100000",
    }
    llm: subprocess.Popen[bytes] | None = None
    if args.llm_latency_ms is not None:
        port = free_port()
        llm = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.fake_llm",
                "--port",
                str(port),
                "--latency-ms",
                str(args.llm_latency_ms),
            ]
        )
        env |= {
            "LLM_PROVIDERS": '["openai"]',
            "LLM_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "OPENAI_API_KEY": "load-test",
            "LLM_OPENAI_MODEL": "bench-model",
        }
    server = BenchServer(env)
    try:
        server.start()
        result = asyncio.run(run(server, args))
    finally:
        server.stop()
        if llm is not None:
            llm.terminate()
            llm.wait(10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
