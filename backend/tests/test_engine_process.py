"""The engine process: the web process forwards the engine's routes over a Unix socket, and
`contactcenter serve` with ENGINE_PROCESS runs, watches and stops the engine."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from contactcenter.auth.principal import Role
from contactcenter.core.engine import EngineProxyMiddleware, engine_checks, is_engine_route
from contactcenter.core.logging import RequestIdMiddleware
from tests.conftest import TEST_JWT_SECRET
from tests.servers import server_process

# --- the routing rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "forwarded"),
    [
        ("/api/v1/knowledge", True),
        ("/api/v1/knowledge/documents", True),
        ("/api/v1/knowledge/search", True),
        ("/api/v1/classify", True),
        ("/api/v1/drafts/5d0c2b0e-1a1c-4f8e-9a49-0b4b8f0c6a11/retry", True),
        ("/metrics/engine", True),
        ("/api/v1/drafts/5d0c2b0e-1a1c-4f8e-9a49-0b4b8f0c6a11/approve", False),
        ("/api/v1/conversations", False),
        ("/api/v1/knowledgebase", False),
        ("/api/v1/classify/extra", False),
        ("/metrics", False),
        ("/ready", False),
    ],
)
def test_which_routes_the_engine_answers(path: str, forwarded: bool) -> None:
    assert is_engine_route(path) is forwarded


# --- the proxy, against an engine app in memory ------------------------------------------------


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": (await request.body()).decode(),
            "headers": {k: v for k, v in request.headers.items()},
        },
        status_code=201,
        headers={"x-engine": "yes", "x-request-id": "the-engine-s-own"},
    )


async def _metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse("engine_metric 1\n")


async def _ready(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "status": "ok",
            "checks": {
                "database": {"status": "ok"},
                "knowledge": {"status": "ok", "collection": "c1"},
                "llm": {"status": "ok", "providers": {"offline": "closed"}},
            },
        }
    )


ENGINE = Starlette(
    routes=[
        Route("/api/v1/knowledge/search", _echo, methods=["POST"]),
        Route("/metrics", _metrics),
        Route("/ready", _ready),
    ]
)


async def _web_route(request: Request) -> PlainTextResponse:
    return PlainTextResponse("from the web process")


def _web(engine_transport: httpx.AsyncBaseTransport) -> Any:
    web = Starlette(routes=[Route("/api/v1/conversations", _web_route)])
    web.state.engine = httpx.AsyncClient(transport=engine_transport, base_url="http://engine")
    web.add_middleware(EngineProxyMiddleware)
    web.add_middleware(RequestIdMiddleware)
    return web


async def test_forwards_method_path_query_body_and_headers() -> None:
    web = _web(httpx.ASGITransport(app=ENGINE))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://web"
    ) as client:
        response = await client.post(
            "/api/v1/knowledge/search?limit=3",
            content=b'{"query": "opening hours"}',
            headers={
                "authorization": "Bearer t0ken",
                "content-type": "application/json",
                "x-request-id": "req-123",
                "proxy-authorization": "Basic c2VjcmV0",
            },
        )
    assert response.status_code == 201
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/api/v1/knowledge/search"
    assert seen["query"] == "limit=3"
    assert seen["body"] == '{"query": "opening hours"}'
    assert seen["headers"]["authorization"] == "Bearer t0ken"
    assert seen["headers"]["content-type"] == "application/json"
    # the request id the web process bound travels to the engine, once
    assert seen["headers"]["x-request-id"] == "req-123"
    assert "proxy-authorization" not in seen["headers"]  # hop-by-hop: not the engine's
    assert response.headers["x-engine"] == "yes"
    assert response.headers.get_list("x-request-id") == ["req-123"]
    assert int(response.headers["content-length"]) == len(response.content)


async def test_engine_metrics_and_web_routes() -> None:
    web = _web(httpx.ASGITransport(app=ENGINE))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://web"
    ) as client:
        metrics = await client.get("/metrics/engine")
        local = await client.get("/api/v1/conversations")
    assert metrics.status_code == 200
    assert metrics.text == "engine_metric 1\n"
    assert local.text == "from the web process"


async def test_an_engine_that_does_not_answer_is_a_503_with_retry_after() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no such socket", request=request)

    web = _web(httpx.MockTransport(refuse))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://web"
    ) as client:
        response = await client.post("/api/v1/knowledge/search", json={"query": "x"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "engine" in body["detail"]


async def test_readiness_takes_the_engine_s_checks() -> None:
    up = httpx.AsyncClient(transport=httpx.ASGITransport(app=ENGINE), base_url="http://engine")
    checks = await engine_checks(up)
    assert checks["engine"] == {"status": "ok"}
    assert checks["knowledge"]["collection"] == "c1"
    assert checks["llm"]["status"] == "ok"
    assert "database" not in checks  # the web process checks its own

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no such socket", request=request)

    down = httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://engine")
    assert (await engine_checks(down))["engine"]["status"] == "down"


# --- `contactcenter serve` with ENGINE_PROCESS ------------------------------------------------


def _engine_pid(server: subprocess.Popen[bytes]) -> int | None:
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if child.environ().get("PROCESS_ROLE") == "engine":
                return child.pid
        except psutil.Error:
            continue
    return None


def _gone(pid: int, timeout_s: float) -> bool:
    try:
        psutil.Process(pid).wait(timeout_s)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


async def _outcome_of(db: Any, message_id: str, wait_s: float) -> str | None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        async with db.transaction() as session:
            row = await session.execute(
                text("SELECT decision FROM ai_outcomes WHERE message_id = :id"), {"id": message_id}
            )
            decision = row.scalar_one_or_none()
        if decision is not None:
            return str(decision)
        await asyncio.sleep(0.2)
    return None


async def test_serve_runs_the_engine_in_a_second_process(pg_url, tmp_path, build, db) -> None:
    # other tests leave messages they never answered: keep this engine on ours
    async with db.transaction() as session:
        await session.execute(text("UPDATE reply_jobs SET status = 'done' WHERE status <> 'done'"))
    env = {
        "DATABASE_URL": pg_url,
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "DEMO_SEED": "false",
        "JOBS_ENABLED": "false",
        "PIPELINE_WORKER": "true",
        "ENGINE_PROCESS": "true",
    }
    with server_process(env, tmp_path / "data", timeout_s=120) as (base, server):
        engine = _engine_pid(server)
        assert engine is not None, "no engine process"

        tenant = await build.tenant()
        customer = await build.customer(tenant)
        agent = await build.staff(tenant, Role.agent)
        conversation = await build.conversation(customer)
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            ready = (await api.get("/ready")).json()
            assert ready["checks"]["engine"]["status"] == "ok"
            assert ready["checks"]["database"]["status"] == "ok"
            assert "knowledge" in ready["checks"]

            async def answered(question: str, wait_s: float) -> bool:
                posted = await api.post(
                    f"/api/v1/conversations/{conversation['id']}/messages",
                    headers=customer.headers,
                    json={"text": question},
                )
                assert posted.status_code == 201, posted.text
                return await _outcome_of(db, posted.json()["id"], wait_s) is not None

            # the web process stores the message; the engine's worker answers it
            assert await answered("Do you sell gift cards?", 60)

            # the engine's routes, through the web process
            documents = await api.get("/api/v1/knowledge/documents", headers=agent.headers)
            assert documents.status_code == 200, documents.text
            classified = await api.post(
                "/api/v1/classify",
                headers=agent.headers,
                json={"message": "Where is my order 12345?", "channel": "web"},
            )
            assert classified.status_code == 200, classified.text
            assert classified.json()["category"] == "service_action"
            # the classification ran in the engine: its metrics count it, the web's do not
            api_count = 'classification_requests_total{source="api"} 1.0'
            assert api_count in (await api.get("/metrics/engine")).text
            assert api_count not in (await api.get("/metrics")).text

            # a killed engine is started again, and a message sent meanwhile is answered
            os.kill(engine, signal.SIGKILL)
            assert await answered("And can I pay with one online?", 150)
            restarted = _engine_pid(server)
            assert restarted is not None and restarted != engine
    # the engine stops with the web process
    assert await asyncio.to_thread(_gone, restarted, 15)
