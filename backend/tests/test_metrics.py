"""`/metrics` in Prometheus format: the names operators alert on, route templates as labels,
counters that move with the work; `/ready` names each dependency."""

from __future__ import annotations

import asyncio
import gc
import re
import time

import httpx2
import pytest

from contactcenter.auth.principal import Role
from contactcenter.llm import (
    CallTags,
    ChatMessage,
    FallbackChain,
    LLMError,
    LLMRequest,
    RetryPolicy,
)
from contactcenter.llm.openai_provider import OpenAIProvider

REQUIRED = (
    "classification_requests_total",
    "classification_latency_seconds",
    "classification_confidence",
    "classification_category_total",
    "llm_errors_total",
    "pipeline_stage_seconds",
    "pipeline_decisions_total",
    "http_requests_total",
    "http_request_duration_seconds",
    "realtime_connections",
    "reply_queue_depth",
    "drafts_pending",
    "event_loop_lag_seconds",
    "gc_pause_seconds",
)


async def scrape(client) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(body: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(pattern, body)
    return float(match.group(1)) if match else 0.0


async def test_the_metrics_endpoint_exposes_the_names_operators_need(client):
    body = await scrape(client)
    for name in REQUIRED:
        assert f"# TYPE {name.removesuffix('_total')}" in body, name


async def test_classification_metrics_move_with_each_request(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    before = await scrape(client)
    for text in ("What time do you open?", "I took a double dose by mistake"):
        response = await client.post(
            "/api/v1/classify", headers=agent.headers, json={"message": text}
        )
        assert response.status_code == 200
    after = await scrape(client)
    assert value(after, "classification_requests_total", source="api") == pytest.approx(
        value(before, "classification_requests_total", source="api") + 2
    )
    assert (
        value(after, "classification_latency_seconds_count")
        >= value(before, "classification_latency_seconds_count") + 2
    )
    assert value(after, "classification_category_total", category="safety_compliance") >= 1


async def test_http_metrics_use_route_templates_not_raw_paths(client, build):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    conversation = await build.conversation(customer)
    await client.get(f"/api/v1/conversations/{conversation['id']}", headers=customer.headers)
    body = await scrape(client)
    assert 'route="/api/v1/conversations/{conversation_id}"' in body
    assert conversation["id"] not in body


async def test_chat_model_failures_are_counted_by_provider_and_kind(client):
    def overloaded(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(503, json={"error": {"message": "overloaded"}})

    before = value(await scrape(client), "llm_errors_total", kind="server", provider="openai")
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(overloaded)) as http:
        chain = FallbackChain(
            [OpenAIProvider("sk-test", "gpt-4o-mini", http_client=http)],
            RetryPolicy(max_attempts=2, base_s=0.0),
        )
        request = LLMRequest(
            messages=[ChatMessage(role="user", content="hi")],
            tags=CallTags(flow="test", prompt_id="t", prompt_version="v1"),
        )
        with pytest.raises(LLMError):
            await chain.complete(request)
    after = value(await scrape(client), "llm_errors_total", kind="server", provider="openai")
    assert after == before + 2


async def test_ready_names_each_dependency(client):
    body = (await client.get("/ready")).json()
    assert set(body["checks"]) >= {"database", "realtime", "knowledge", "llm"}
    assert body["checks"]["llm"]["status"] == "ok"


async def test_the_loop_lag_monitor_samples_the_event_loop():
    from contactcenter.observability.runtime import LoopLagMonitor

    before = _sample("event_loop_lag_seconds_sum"), _sample("event_loop_lag_seconds_count")
    monitor = LoopLagMonitor(interval_s=0.01)
    monitor.start()
    await asyncio.sleep(0.05)
    time.sleep(0.05)  # noqa: ASYNC251 - hogs the loop on purpose: the next sample is late
    await asyncio.sleep(0.05)
    await monitor.stop()
    assert _sample("event_loop_lag_seconds_count") > before[1]
    # the monitor's sleep began at most 10 ms before the hog, so it woke at least 40 ms late
    assert _sample("event_loop_lag_seconds_sum") - before[0] >= 0.03


def test_gc_pauses_are_timed_by_generation_and_the_startup_heap_is_frozen():
    from contactcenter.observability.runtime import (
        YOUNG_THRESHOLD,
        GcPauses,
        freeze_startup_heap,
    )

    GcPauses.install()
    GcPauses.install()  # once per process, however many apps start
    assert sum(1 for cb in gc.callbacks if isinstance(cb, GcPauses)) == 1
    before = _sample("gc_pause_seconds_count", generation="2")
    threshold = gc.get_threshold()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert _sample("gc_pause_seconds_count", generation="2") == before + 1  # timed
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def _sample(name: str, **labels: str) -> float:
    from contactcenter.observability import metrics

    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0
