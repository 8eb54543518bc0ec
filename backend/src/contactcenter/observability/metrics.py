"""Prometheus metrics, one registry per process (`GET /metrics`).

Counters and histograms are updated where the work happens (triage, the pipeline's stages, the
chat models' failures, HTTP requests); gauges that need the database (queue depth) are read at
scrape time. Labels are bounded: route templates, never raw paths; categories, providers and
error kinds from closed sets; never a tenant, user or text.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

classification_requests = Counter(
    "classification_requests",
    "Messages triaged, by where the request came from (api, pipeline).",
    ["source"],
    registry=REGISTRY,
)
classification_latency = Histogram(
    "classification_latency_seconds",
    "Time to triage one message.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
classification_confidence = Histogram(
    "classification_confidence",
    "Triage confidence of the chosen category.",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
    registry=REGISTRY,
)
classification_category = Counter(
    "classification_category",
    "Triaged messages by category.",
    ["category"],
    registry=REGISTRY,
)
llm_errors = Counter(
    "llm_errors",
    "Failed chat-model attempts, by provider and kind (timeout, rate_limited, quota, ...).",
    ["provider", "kind"],
    registry=REGISTRY,
)
pipeline_stage_seconds = Histogram(
    "pipeline_stage_seconds",
    "Time per reply-pipeline stage (triage, injection, retrieve, respond, score, total).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
pipeline_decisions = Counter(
    "pipeline_decisions",
    "Reply-pipeline outcomes by decision and category.",
    ["decision", "category"],
    registry=REGISTRY,
)
reply_confidence = Histogram(
    "reply_confidence",
    "Calibrated confidence of the AI's replies.",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
    registry=REGISTRY,
)
http_requests = Counter(
    "http_requests",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
http_request_seconds = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
realtime_connections = Gauge(
    "realtime_connections", "Open realtime WebSocket connections.", registry=REGISTRY
)
reply_queue_depth = Gauge(
    "reply_queue_depth",
    "Customer messages waiting for the AI (reply jobs not done).",
    registry=REGISTRY,
)
event_loop_lag = Histogram(
    "event_loop_lag_seconds",
    "How late a 100 ms timer of the event loop fires (a step or a collection held it up).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
gc_pause = Histogram(
    "gc_pause_seconds",
    "Pauses of the cyclic garbage collector (the event loop stands still), by generation.",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
    registry=REGISTRY,
)
drafts_pending = Gauge(
    "drafts_pending", "Drafts waiting for a person (pending_review).", registry=REGISTRY
)


def observe_triage(source: str, seconds: float, category: str, confidence: float) -> None:
    classification_requests.labels(source).inc()
    classification_latency.observe(seconds)
    classification_confidence.observe(confidence)
    classification_category.labels(category).inc()


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class HttpMetricsMiddleware:
    """Counts and times HTTP requests by route template ("/api/v1/drafts/{draft_id}")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            http_requests.labels(method, template, str(status)).inc()
            http_request_seconds.labels(method, template).observe(time.perf_counter() - started)
