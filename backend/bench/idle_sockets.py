"""Idle WebSockets: how many authenticated, subscribed sockets one server process holds, what
each thousand costs in memory, and how fast one event reaches all of them.

    .venv/bin/python -m bench.idle_sockets [--sockets 10000] [--step 1000] [--hold-s 35]

Starts the product on embedded defaults (bench.foundation.BenchServer), signs in the demo agent
and opens ``--sockets`` WebSockets in steps of ``--step``, each subscribed to one customer's
conversation (the realistic shape: agents' and customers' tabs follow conversations). After
every step it reads the server's resident memory. Then it holds them past a heartbeat
(``--hold-s``) and counts sockets the server closed, and finally the customer posts one message
and every socket's ``message.created`` is timed from the POST's start. The last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import httpx

from bench.foundation import (
    AGENT_EMAIL,
    BenchServer,
    CpuMeter,
    Subscribers,
    new_customers,
    percentile,
    progress,
)
from bench.hitl import wait_for_knowledge


async def run(server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, trust_env=False) as client:
        (customer,) = await new_customers([client], 1, concurrency=1)
        login = await client.post(
            "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": server.demo_password}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        # the demo knowledge base is indexed at start (model load, embedding): let it finish
        await wait_for_knowledge(client, {"Authorization": f"Bearer {token}"})
        await asyncio.sleep(2)
        topic = f"conversation:{customer.conversation_id}"
        _, rss_ready = server.peak_rss_mb()
        steps: list[dict[str, Any]] = []
        groups: list[Subscribers] = []
        opened = 0
        started = time.perf_counter()
        while opened < args.sockets:
            n = min(args.step, args.sockets - opened)
            group = Subscribers()
            slowest = await group.open(
                server.ws_url, token, [topic] * n, compression=None, concurrency=args.concurrency
            )
            groups.append(group)
            opened += n
            _, rss = server.peak_rss_mb()
            steps.append({"sockets": opened, "rss_mb": rss, "slowest_open_s": round(slowest, 2)})
            progress(f"{opened} sockets open, server RSS {rss} MB")
        open_s = time.perf_counter() - started

        progress(f"holding {opened} idle sockets for {args.hold_s:.0f} s (heartbeats)")
        cpu = CpuMeter(server.pid, server.postmaster_pid())
        before = cpu.snapshot()
        await asyncio.sleep(args.hold_s)
        idle_cpu = CpuMeter.delta(before, cpu.snapshot())
        closed = sum(len(g.closed) for g in groups)
        heartbeats = sum(g.other_frames["heartbeat"] for g in groups)

        for group in groups:
            group.expect(len(group.sockets))
        posted = time.perf_counter()
        response = await client.post(
            f"/api/v1/conversations/{customer.conversation_id}/messages",
            headers=customer.headers,
            json={"text": "Is anyone there?"},
        )
        response.raise_for_status()
        await asyncio.gather(*(g.wait(args.settle_s) for g in groups))
        delivery = [(received - posted) * 1000 for g in groups for _, received, _ in g.frames]
        _, rss_end = server.peak_rss_mb()
        await asyncio.gather(*(g.close() for g in groups))

    # the slope from the first step to the last: the resident size at ready moves with the
    # allocator and the collector by tens of MB, a thousand sockets' worth
    first, last = steps[0], steps[-1]
    per_thousand = (
        round((last["rss_mb"] - first["rss_mb"]) / ((last["sockets"] - first["sockets"]) / 1000), 1)
        if len(steps) > 1 and first["rss_mb"] is not None and last["rss_mb"] is not None
        else None
    )

    def pct(q: float) -> float | None:
        value = percentile(delivery, q)
        return round(value, 1) if value is not None else None

    return {
        "sockets": opened,
        "open_s": round(open_s, 1),
        "server_rss_ready_mb": rss_ready,
        "server_rss_mb": steps[-1]["rss_mb"] if steps else None,
        "server_rss_end_mb": rss_end,
        "memory_per_1000_sockets_mb": per_thousand,
        "closed_by_server": closed,
        "heartbeats_received": heartbeats,
        "idle_cpu_percent": round(idle_cpu["server"] / idle_cpu["wall"] * 100, 1)
        if idle_cpu.get("wall")
        else None,
        "delivered": len(delivery),
        "delivery_p50_ms": pct(50),
        "delivery_p95_ms": pct(95),
        "delivery_p99_ms": pct(99),
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=50, help="sockets opening at once")
    parser.add_argument("--hold-s", type=float, default=35.0)
    parser.add_argument("--settle-s", type=float, default=60.0)
    args = parser.parse_args()
    server = BenchServer()
    try:
        server.start()
        result = asyncio.run(run(server, args))
    finally:
        server.stop()
    print(
        f"  {result['sockets']} idle sockets: server RSS {result['server_rss_ready_mb']} -> "
        f"{result['server_rss_mb']} MB ({result['memory_per_1000_sockets_mb']} MB per 1,000), "
        f"{result['closed_by_server']} closed by the server while idle, idle CPU "
        f"{result['idle_cpu_percent']} %; one event to all: p50 {result['delivery_p50_ms']} / "
        f"p95 {result['delivery_p95_ms']} / p99 {result['delivery_p99_ms']} ms",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
