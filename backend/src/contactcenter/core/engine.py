"""The engine process and the web processes' way to it.

The embedded Qdrant (Qdrant Edge) is one open handle per folder, so one process owns it. With
`ENGINE_PROCESS=true` (or `WEB_CONCURRENCY` > 1 on the embedded Qdrant) `contactcenter serve`
runs that process, the engine, for the reply pipeline, knowledge ingestion, scheduled jobs and
the vector store, on a Unix socket; HTTP and WebSockets run in web processes of their own, so a
busy floor and a busy pipeline stop sharing one event loop (and one core). Everything else the
processes share lives in PostgreSQL already: reply jobs are rows, realtime events are NOTIFYs.

A web process forwards the few routes that need the vector store or the models (knowledge,
classification, a draft's retry) to the engine, after its own rate limits and body limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.core.errors import ErrorCode
from contactcenter.core.handlers import problem_response
from contactcenter.core.logging import current_request_id

log = structlog.get_logger(__name__)

ENGINE_HOST = "http://engine"
ENGINE_METRICS_PATH = "/metrics/engine"
_ENGINE_ROUTES = re.compile(
    r"^/api/v1/(knowledge(/.*)?|classify|drafts/[^/]+/retry)$",
)
# hop-by-hop and framing headers are the proxy's own business (RFC 9110 7.6.1)
_HOP_HEADERS = {
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"upgrade",
    b"te",
    b"trailer",
    b"proxy-authorization",
    b"proxy-connection",
    b"host",
    b"content-length",
}
READY_TIMEOUT_S = 300.0


def is_engine_route(path: str) -> bool:
    return path == ENGINE_METRICS_PATH or _ENGINE_ROUTES.match(path) is not None


def engine_client(socket_path: Path, timeout_s: float = 120.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(socket_path)),
        base_url=ENGINE_HOST,
        timeout=timeout_s,
        trust_env=False,
    )


async def engine_checks(client: httpx.AsyncClient) -> dict[str, Any]:
    """The engine's own readiness checks (knowledge, LLM providers), for the web's `/ready`."""
    try:
        response = await client.get("/ready", timeout=5.0)
        checks: dict[str, Any] = response.json()["checks"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        return {"engine": {"status": "down", "error": type(exc).__name__}}
    picked: dict[str, Any] = {k: checks[k] for k in ("knowledge", "llm") if k in checks}
    picked["engine"] = {"status": "ok" if response.status_code == 200 else "down"}
    return picked


class EngineProxyMiddleware:
    """Forwards the engine's routes over its Unix socket; everything else goes on inward."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_engine_route(scope["path"]):
            await self.app(scope, receive, send)
            return
        client: httpx.AsyncClient = scope["app"].state.engine
        body = bytearray()
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        path = "/metrics" if scope["path"] == ENGINE_METRICS_PATH else scope["path"]
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k.lower() not in _HOP_HEADERS and k.lower() != b"x-request-id"
        ]
        headers.append((b"x-request-id", (current_request_id() or "").encode()))
        try:
            response = await client.request(
                scope["method"],
                httpx.URL(path, query=scope.get("query_string", b"")),
                headers=headers,
                content=bytes(body),
            )
        except httpx.HTTPError as exc:
            log.warning("engine.unreachable", error=type(exc).__name__)
            reply = problem_response(
                ErrorCode.service_unavailable,
                "the reply engine is not answering (starting or restarting); try again shortly",
                headers={"Retry-After": "5"},
            )
            await reply(scope, receive, send)
            return
        out = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.encode("latin-1") not in _HOP_HEADERS
            and k.lower() not in ("content-encoding", "x-request-id")
        ]
        content = response.content
        out.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": content})


class EngineProcess:
    """Starts `contactcenter serve` as the engine, waits until it answers, restarts it when it
    dies, and stops it with the web process."""

    def __init__(self, socket_path: Path, env: dict[str, str] | None = None) -> None:
        self.socket_path = socket_path
        self.env = {
            **os.environ,
            **(env or {}),
            "PROCESS_ROLE": "engine",
            "ENGINE_SOCKET": str(socket_path),
            "ENGINE_PROCESS": "false",
            "WEB_CONCURRENCY": "1",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        self._spawn()
        self.wait_ready(ready_timeout_s)
        self._watcher = threading.Thread(target=self._watch, name="engine-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        # a session of its own: a Ctrl-C in the terminal reaches the web process, which stops
        # the engine after its own shutdown, instead of both at once (and the watcher
        # restarting an engine that is meant to stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contactcenter", "serve"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        transport = httpx.HTTPTransport(uds=str(self.socket_path))
        with httpx.Client(transport=transport, base_url=ENGINE_HOST, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the engine process exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/health").status_code == 200:
                        return
                time.sleep(0.2)
        raise RuntimeError(f"the engine process did not answer within {timeout_s:.0f} s")

    def _watch(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            proc = self.proc
            if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                # its jobs are durable: a restarted engine takes them up when their lease ends
                log.error("engine.exited", returncode=proc.returncode, restart_in_s=delay)
                if self._stopping.wait(delay):
                    return
                delay = min(delay * 2, 30.0)
                self._spawn()
                continue
            self._stopping.wait(1.0)

    def stop(self, grace_s: float = 20.0) -> None:
        self._stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def exit_with_parent(poll_s: float = 2.0) -> None:
    """The engine stops when the process that started it is gone (even after a SIGKILL)."""
    parent = os.getppid()
    while True:
        await asyncio.sleep(poll_s)
        if os.getppid() != parent:
            log.warning("engine.orphaned", parent=parent)
            os.kill(os.getpid(), signal.SIGTERM)
            return
