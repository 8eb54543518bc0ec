"""Foundation benchmark: message POST latency and throughput, realtime commit -> WebSocket latency.

Run from backend/: ``.venv/bin/python -m bench.foundation`` (``make bench``); ``--help`` lists the
knobs. Everything runs on this machine and on 127.0.0.1 only, and stops by itself:

1. an embedded PostgreSQL (pgserver) in a temporary folder, and ``contactcenter serve`` as a
   subprocess on a free port with DEMO_SEED=true and a random DEMO_PASSWORD;
2. message POST: ``--clients`` widget customers, each with its own conversation, each posting
   ``--messages`` messages one after the other (after ``--warmup`` unrecorded ones), all clients
   at once. Each customer has an httpx.AsyncClient of its own (``--http-pools``): httpcore's
   pool bookkeeping is quadratic in its connections, and one shared pool of 100 busy connections
   makes the bench itself the bottleneck (``--http-pools 1`` shows it);
3. realtime: ``--subscribers`` WebSockets signed in as agent@demo.example, all subscribed to
   ``conversation:<id>`` of ONE conversation by default (``--rt-conversations K`` spreads them
   round-robin over K conversations). One conversation with every socket on it is the worst
   fan-out per event (each NOTIFY becomes ``--subscribers`` frames), the same shape as a tenant
   topic that every agent of a team follows. The bench then publishes ``--events`` envelopes
   straight into the database (``SELECT app.publish(...)`` in a transaction of its own, t0 taken
   right before COMMIT) and measures commit -> receipt at every socket; then, for comparison,
   ``--http-events`` messages posted through the API by the conversation's customer, measured
   from the start of the POST to the receipt.

The client shares the machine's cores with the server and PostgreSQL, so its own work (HTTP and
WebSocket parsing, per-message deflate) is part of every figure; the CPU seconds each process used
during each phase are printed so that the bottleneck can be seen, with a warning when other
processes took a noticeable share of the machine. The server's peak RSS (VmHWM) includes its start
(migrations, and the Argon2 hashing of the demo accounts: 64 MiB per hash) and the agent's login;
the RSS at /ready and after the message load are printed beside it. The last line of the output is
one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is optional; /proc is enough for the RSS
    psutil = None

AGENT_EMAIL = "agent@demo.example"
CHANNEL = "contactcenter_events"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


# --- small helpers ---------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (as numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: list[float]) -> dict[str, float | None]:
    ms = [s * 1000.0 for s in seconds]
    out: dict[str, float | None] = {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else None,
        "mean": statistics.fmean(ms) if ms else None,
    }
    return {k: (round(v, 2) if v is not None else None) for k, v in out.items()}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def read_proc_status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    return f"{value:,}{unit}"


# --- CPU accounting --------------------------------------------------------------------------
@dataclass
class CpuMeter:
    """CPU seconds used by the server, PostgreSQL (all its processes) and this process."""

    server_pid: int
    postmaster_pid: int | None

    def _proc_cpu(self, pid: int) -> float:
        """The server's CPU, with its engine process when it runs one."""
        if psutil is None:
            return 0.0
        total = 0.0
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        for proc in processes:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def _postgres_cpu(self) -> float:
        if psutil is None or self.postmaster_pid is None:
            return 0.0
        # the postmaster's children_* times hold its exited backends (closed connections)
        try:
            root = psutil.Process(self.postmaster_pid)
            times = root.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            children = root.children()
        except psutil.Error:
            return 0.0
        for proc in children:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return float(total)

    def _machine(self) -> tuple[float, float]:
        """CPU seconds the whole machine was busy (all processes), and stolen by the host."""
        if psutil is None:
            return 0.0, 0.0
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        return float(busy), float(getattr(t, "steal", 0.0))

    def snapshot(self) -> dict[str, float]:
        machine, steal = self._machine()
        return {
            "wall": time.perf_counter(),
            "server": self._proc_cpu(self.server_pid),
            "postgres": self._postgres_cpu(),
            "bench": time.process_time(),
            "machine": machine,
            "steal": steal,
        }

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before[k], 2) for k in before}


# --- the server under test -------------------------------------------------------------------
class BenchServer:
    """Embedded PostgreSQL + `contactcenter serve` in a subprocess; `stop()` always cleans up."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.extra_env = extra_env or {}
        self.tmp = Path(tempfile.mkdtemp(prefix="ccbench-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/v1/realtime"
        self.demo_password = secrets.token_urlsafe(16)
        self.pg: Any = None
        self.pg_uri = ""
        self.pgdata = self.tmp / "pg"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.tmp / "server.log"
        self._log_file: Any = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pgserver

            self.pg = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        self.pg_uri = self.pg.get_uri()
        data_dir = self.tmp / "data"
        data_dir.mkdir()
        env = {
            k: v
            for k, v in os.environ.items()
            # nothing from the caller's shell may point the server elsewhere
            if not k.startswith(("DB_", "DATABASE_", "AUTH_", "SUPABASE_", "DEMO_", "API_"))
            and not k.startswith("REALTIME_")
            and k not in {"ENVIRONMENT", "APP_ENV", "HOST", "PUBLIC_URL", "RUN_MIGRATIONS"}
        }
        env.update(
            DATABASE_URL=self.pg_uri,
            DATA_DIR=str(data_dir),
            HOST="127.0.0.1",
            PORT=str(self.port),
            DEMO_SEED="true",
            DEMO_PASSWORD=self.demo_password,
            AUTH_JWT_SECRET=secrets.token_urlsafe(48),
            LOG_LEVEL="WARNING",
            ENVIRONMENT="development",
            PYTHONUNBUFFERED="1",
            # the foundation's own paths (message POST, fan-out); the AI's replies are measured
            # by bench.pipeline and the load harness
            PIPELINE_WORKER="false",
        )
        env.update(self.extra_env)  # --server-env, for A/B runs (DB_POOL_SIZE=30, ...)
        self._log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "contactcenter", "serve"],
            env=env,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with {self.proc.returncode}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/ready").status_code == 200:
                        return
                time.sleep(0.2)
        raise RuntimeError(
            f"the server was not ready after {READY_TIMEOUT_S:.0f} s\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(line for line in text.splitlines()[-lines:] if "password" not in line)

    def warning_lines(self) -> list[str]:
        """Warnings and errors the server logged (JSON lines at LOG_LEVEL=WARNING)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [
            line
            for line in text.splitlines()
            if '"level"' in line or line.startswith(("WARNING", "ERROR", "Traceback"))
        ]

    def peak_rss_mb(self) -> tuple[float | None, float | None]:
        if self.proc is None:
            return None, None
        pids = [self.proc.pid]
        if psutil is not None:  # the engine process, when the server runs one
            with contextlib.suppress(psutil.Error):
                pids += [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]
        hwms = [read_proc_status_kb(pid, "VmHWM") for pid in pids]
        rsss = [read_proc_status_kb(pid, "VmRSS") for pid in pids]
        hwm = sum(v for v in hwms if v is not None) if hwms[0] is not None else None
        rss = sum(v for v in rsss if v is not None) if rsss[0] is not None else None
        return (
            round(hwm / 1024, 1) if hwm is not None else None,
            round(rss / 1024, 1) if rss is not None else None,
        )

    def stop(self) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        finally:
            if self._log_file is not None:
                self._log_file.close()
            if self.pg is not None:
                with contextlib.suppress(Exception):
                    self.pg.cleanup()
            shutil.rmtree(self.tmp, ignore_errors=True)


# --- API clients -----------------------------------------------------------------------------
@dataclass
class Customer:
    client: httpx.AsyncClient  # the connection pool this customer's requests go through
    token: str
    conversation_id: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def new_customer(client: httpx.AsyncClient) -> Customer:
    response = await client.post("/api/v1/widget/session", json={"tenant": "demo"})
    response.raise_for_status()
    session = response.json()
    token = session["access_token"]
    response = await client.post(
        "/api/v1/conversations",
        json={"subject": "bench"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return Customer(client, token, response.json()["id"], session["user"]["id"])


async def new_customers(
    pools: list[httpx.AsyncClient], count: int, concurrency: int
) -> list[Customer]:
    """`count` customers, spread round-robin over the client pools."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> Customer:
        async with gate:
            return await new_customer(pools[index % len(pools)])

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# --- phase 1: message POST -------------------------------------------------------------------
@dataclass
class PostResult:
    latencies: list[float]
    errors: int
    error_kinds: Counter[str]
    wall_s: float
    cpu: dict[str, float]
    db: dict[str, int]


DB_COUNTERS = (
    "SELECT sessions, xact_commit, xact_rollback, tup_inserted, tup_updated, numbackends "
    "FROM pg_stat_database WHERE datname = current_database()"
)


async def db_counters(monitor: asyncpg.Connection) -> dict[str, int]:
    """The database's cumulative counters (pg_stat_database), for deltas over a phase."""
    await monitor.execute("SELECT pg_stat_clear_snapshot()")
    row = await monitor.fetchrow(DB_COUNTERS)
    return {k: int(v) for k, v in dict(row or {}).items()}


async def post_messages(
    customers: list[Customer], count: int, tag: str
) -> tuple[list[float], int, Counter[str]]:
    """Every customer posts `count` messages one after the other; all customers at once."""
    latencies: list[float] = []
    kinds: Counter[str] = Counter()

    async def one_client(index: int, customer: Customer) -> None:
        url = f"/api/v1/conversations/{customer.conversation_id}/messages"
        for n in range(count):
            body = {"text": f"{tag} message {n} from client {index}: my order has not arrived yet"}
            start = time.perf_counter()
            try:
                response = await customer.client.post(url, json=body, headers=customer.headers)
            except httpx.HTTPError as exc:
                kinds[type(exc).__name__] += 1
                continue
            elapsed = time.perf_counter() - start
            if response.status_code == 201:
                latencies.append(elapsed)
            else:
                kinds[f"HTTP {response.status_code}"] += 1

    await asyncio.gather(*(one_client(i, c) for i, c in enumerate(customers)))
    return latencies, sum(kinds.values()), kinds


async def message_post_phase(
    customers: list[Customer], args: argparse.Namespace, cpu: CpuMeter, monitor: asyncpg.Connection
) -> PostResult:
    if args.warmup:
        await post_messages(customers, args.warmup, "warm-up")
    db_before = await db_counters(monitor)
    before = cpu.snapshot()
    latencies, errors, kinds = await post_messages(customers, args.messages, "bench")
    after = cpu.snapshot()
    db_after = await db_counters(monitor)
    db = {k: db_after[k] - db_before[k] for k in db_before if k != "numbackends"}
    db["backends_at_end"] = db_after["numbackends"]
    delta = CpuMeter.delta(before, after)
    return PostResult(latencies, errors, kinds, delta["wall"], delta, db)


# --- phase 2: realtime -----------------------------------------------------------------------
class Subscribers:
    """WebSockets that record (socket index, receipt time, raw frame) of every event frame."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.topics: list[str] = []
        self.frames: list[tuple[int, float, str]] = []
        self.other_frames: Counter[str] = Counter()
        self.closed: list[tuple[int, str]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._target = 0
        self._reached = asyncio.Event()

    async def open(
        self, url: str, token: str, topics: list[str], compression: str | None, concurrency: int
    ) -> float:
        """Connect and subscribe every socket; returns the slowest connect+subscribe (s)."""
        gate = asyncio.Semaphore(concurrency)
        slowest = 0.0

        async def one(topic: str) -> ClientConnection:
            nonlocal slowest
            async with gate:
                start = time.perf_counter()
                ws = await connect(
                    f"{url}?access_token={token}",
                    compression=compression,
                    ping_interval=None,
                    proxy=None,
                    open_timeout=20,
                    max_queue=1024,
                )
                await ws.send(json.dumps({"type": "subscribe", "topic": topic, "ref": "s"}))
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                    if frame.get("type") == "subscribed":
                        break
                    if frame.get("type") == "error":
                        raise RuntimeError(f"subscribe refused: {frame}")
                slowest = max(slowest, time.perf_counter() - start)
                return ws

        opened = await asyncio.gather(*(one(t) for t in topics), return_exceptions=True)
        self.sockets = [ws for ws in opened if isinstance(ws, ClientConnection)]
        failures = [exc for exc in opened if isinstance(exc, BaseException)]
        if failures:
            raise RuntimeError(f"{len(failures)} sockets failed to subscribe") from failures[0]
        self.topics = topics
        self._tasks = [
            asyncio.create_task(self._receive(i, ws)) for i, ws in enumerate(self.sockets)
        ]
        return slowest

    async def _receive(self, index: int, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                received = time.perf_counter()  # first thing: the receipt time
                text = raw if isinstance(raw, str) else raw.decode()
                kind = json.loads(text).get("type")
                if kind == "event":
                    self.frames.append((index, received, text))
                    if len(self.frames) >= self._target:
                        self._reached.set()
                else:
                    self.other_frames[str(kind)] += 1
        except ConnectionClosed as exc:
            self.closed.append((index, f"{exc.rcvd.code if exc.rcvd else '-'}"))

    def expect(self, total: int) -> None:
        """Reset the record; `wait()` returns once `total` event frames have arrived."""
        self.frames = []
        self._target = total
        self._reached = asyncio.Event()
        if total == 0:
            self._reached.set()

    async def wait(self, limit_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reached.wait(), limit_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


@dataclass
class RealtimeResult:
    latencies: list[float]
    first: list[float]
    spread: list[float]
    deliveries: int
    expected: int
    lost: int
    duplicates: int
    wall_s: float
    cpu: dict[str, float]
    post_latencies: list[float] = field(default_factory=list)
    post_errors: int = 0
    publish_errors: int = 0
    commit_times: list[float] = field(default_factory=list)


@dataclass
class Matched:
    latencies: list[float]  # every delivery: receipt - t0
    first: list[float]  # per event, its first receipt: the path without the fan-out's queue
    spread: list[float]  # per event, last receipt - first receipt: the cost of the fan-out
    deliveries: int
    duplicates: int


def match_deliveries(subs: Subscribers, sent: dict[str, float], key_of: Any) -> Matched:
    """Pair every received frame with the send time of its event."""
    latencies: list[float] = []
    by_event: dict[str, list[float]] = {}
    seen: set[tuple[int, str]] = set()
    duplicates = 0
    for index, received, text in subs.frames:
        key = key_of(json.loads(text))
        if key is None or key not in sent:
            continue
        if (index, key) in seen:
            duplicates += 1
            continue
        seen.add((index, key))
        latency = received - sent[key]
        latencies.append(latency)
        by_event.setdefault(key, []).append(latency)
    first = [min(v) for v in by_event.values()]
    spread = [max(v) - min(v) for v in by_event.values()]
    return Matched(latencies, first, spread, len(seen), duplicates)


def message_of(frame: dict[str, Any]) -> dict[str, Any]:
    event = frame.get("event") or {}
    message = event.get("message") if event.get("type") == "message.created" else None
    return message or {}


async def paced(count: int, interval_s: float, action: Any) -> None:
    """Run `action(i)` for i in range(count), started every `interval_s` on an absolute clock."""
    start = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = start + i * interval_s - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(action(i)))
    await asyncio.gather(*tasks)


async def direct_publish_phase(
    subs: Subscribers,
    pg_uri: str,
    tenant_id: str,
    conversations: list[str],
    args: argparse.Namespace,
    cpu: CpuMeter,
) -> RealtimeResult:
    """`app.publish()` from the bench's own connection; t0 right before COMMIT."""
    by_topic: dict[str, list[int]] = {}
    for index, topic in enumerate(subs.topics):
        by_topic.setdefault(topic, []).append(index)
    keys = [str(i) for i in range(args.events)]
    targets = {
        keys[i]: by_topic.get(f"conversation:{conversations[i % len(conversations)]}", [])
        for i in range(args.events)
    }
    subs.expect(sum(len(v) for v in targets.values()))
    sent: dict[str, float] = {}
    commit_times: list[float] = []  # COMMIT's own duration (it waits for the WAL flush)
    errors = 0
    conn = await asyncpg.connect(pg_uri, server_settings={"application_name": "bench-publisher"})
    lock = asyncio.Lock()  # one connection: one transaction at a time

    async def publish(i: int) -> None:
        nonlocal errors
        conversation_id = conversations[i % len(conversations)]
        now = datetime.now(UTC).isoformat()
        envelope = {
            "tenant_id": tenant_id,
            "topics": [f"conversation:{conversation_id}"],
            "audience": "all",
            "event": {
                "type": "message.created",
                "message": {
                    "id": str(uuid.uuid4()),
                    "conversation_id": conversation_id,
                    "author_kind": "agent",
                    "author_id": None,
                    "visibility": "public",
                    "text": f"realtime bench event {i}: your parcel left the warehouse",
                    "metadata": {"bench_seq": i},
                    "client_message_id": None,
                    "created_at": now,
                },
            },
        }
        body = json.dumps(envelope, separators=(",", ":"))
        async with lock:
            try:
                transaction = conn.transaction()
                await transaction.start()
                await conn.execute("SELECT app.publish($1, $2::jsonb)", CHANNEL, body)
                t0 = time.perf_counter()
                await transaction.commit()
                commit_times.append(time.perf_counter() - t0)
                sent[keys[i]] = t0
            except (asyncpg.PostgresError, OSError):
                errors += 1

    before = cpu.snapshot()
    try:
        await paced(args.events, args.interval_ms / 1000.0, publish)
        await subs.wait(args.drain_s)
    finally:
        await conn.close()
    after = cpu.snapshot()
    delta = CpuMeter.delta(before, after)

    def key_of(frame: dict[str, Any]) -> str | None:
        seq = (message_of(frame).get("metadata") or {}).get("bench_seq")
        return str(seq) if seq is not None else None

    matched = match_deliveries(subs, sent, key_of)
    expected = sum(len(v) for v in targets.values())  # a failed publish counts as lost too
    return RealtimeResult(
        latencies=matched.latencies,
        first=matched.first,
        spread=matched.spread,
        deliveries=matched.deliveries,
        expected=expected,
        lost=expected - matched.deliveries,
        duplicates=matched.duplicates,
        wall_s=delta["wall"],
        cpu=delta,
        publish_errors=errors,
        commit_times=commit_times,
    )


async def http_publish_phase(
    subs: Subscribers,
    rt_customers: list[Customer],
    args: argparse.Namespace,
    cpu: CpuMeter,
) -> RealtimeResult:
    """Messages posted through the API by the conversations' customers; t0 = start of the POST."""
    by_topic: dict[str, list[int]] = {}
    for index, topic in enumerate(subs.topics):
        by_topic.setdefault(topic, []).append(index)
    run = uuid.uuid4().hex[:8]
    keys = [f"rt-{run}-{i}" for i in range(args.http_events)]
    targets = {
        keys[i]: by_topic.get(
            f"conversation:{rt_customers[i % len(rt_customers)].conversation_id}", []
        )
        for i in range(args.http_events)
    }
    subs.expect(sum(len(v) for v in targets.values()))
    sent: dict[str, float] = {}
    post_latencies: list[float] = []
    errors = 0

    async def post(i: int) -> None:
        nonlocal errors
        customer = rt_customers[i % len(rt_customers)]
        body = {
            "text": f"realtime bench message {i}: where is my parcel?",
            "client_message_id": keys[i],
        }
        url = f"/api/v1/conversations/{customer.conversation_id}/messages"
        t0 = time.perf_counter()
        sent[keys[i]] = t0
        try:
            response = await customer.client.post(url, json=body, headers=customer.headers)
        except httpx.HTTPError:
            errors += 1
            del sent[keys[i]]
            return
        if response.status_code == 201:
            post_latencies.append(time.perf_counter() - t0)
        else:
            errors += 1
            del sent[keys[i]]

    before = cpu.snapshot()
    await paced(args.http_events, args.interval_ms / 1000.0, post)
    await subs.wait(args.drain_s)
    after = cpu.snapshot()
    delta = CpuMeter.delta(before, after)

    def key_of(frame: dict[str, Any]) -> str | None:
        key = message_of(frame).get("client_message_id")
        return str(key) if key is not None else None

    matched = match_deliveries(subs, sent, key_of)
    expected = sum(len(v) for v in targets.values())  # a failed POST counts as lost too
    return RealtimeResult(
        latencies=matched.latencies,
        first=matched.first,
        spread=matched.spread,
        deliveries=matched.deliveries,
        expected=expected,
        lost=expected - matched.deliveries,
        duplicates=matched.duplicates,
        wall_s=delta["wall"],
        cpu=delta,
        post_latencies=post_latencies,
        post_errors=errors,
    )


# --- the run ---------------------------------------------------------------------------------
async def run(server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    cpu = CpuMeter(server.pid, server.postmaster_pid())
    peak_at_ready, rss_at_ready = server.peak_rss_mb()
    # httpcore's pool bookkeeping is quadratic in its connections (encode/httpcore#1035): one
    # pool of 100 busy connections costs the client more CPU than the server spends on each
    # request, so by default every customer gets a pool of its own, as separate browsers would
    pools_n = min(args.http_pools, args.clients)
    per_pool = -(-args.clients // pools_n) + 2
    limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
    async with contextlib.AsyncExitStack() as stack:
        pools = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=server.base_url, limits=limits, timeout=60.0, trust_env=False
                )
            )
            for _ in range(pools_n)
        ]
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=server.base_url, timeout=60.0, trust_env=False)
        )
        # setup: customers for the POST phase and for the realtime phase
        setup_start = time.perf_counter()
        customers = await new_customers(pools, args.clients, concurrency=20)
        rt_customers = await new_customers([client], args.rt_conversations, concurrency=20)
        response = await client.post(
            "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": server.demo_password}
        )
        response.raise_for_status()
        agent = response.json()
        setup_s = time.perf_counter() - setup_start
        peak_after_setup, _ = server.peak_rss_mb()
        progress(f"setup: {args.clients + args.rt_conversations} customers in {setup_s:.1f} s")

        monitor = await asyncpg.connect(
            server.pg_uri, server_settings={"application_name": "bench-monitor"}
        )
        stack.push_async_callback(monitor.close)
        post = await message_post_phase(customers, args, cpu, monitor)
        _, rss_after_post = server.peak_rss_mb()
        progress(f"message POST: {len(post.latencies)} in {post.wall_s:.1f} s")

        subs = Subscribers()
        topics = [
            f"conversation:{rt_customers[i % len(rt_customers)].conversation_id}"
            for i in range(args.subscribers)
        ]
        compression = None if args.ws_compression == "none" else "deflate"
        try:
            slowest_subscribe = await subs.open(
                server.ws_url, agent["access_token"], topics, compression, concurrency=20
            )
            progress(f"realtime: {args.subscribers} sockets subscribed")
            direct = await direct_publish_phase(
                subs,
                server.pg_uri,
                agent["user"]["tenant_id"],
                [c.conversation_id for c in rt_customers],
                args,
                cpu,
            )
            progress(f"realtime direct: {direct.deliveries}/{direct.expected} deliveries")
            via_http = await http_publish_phase(subs, rt_customers, args, cpu)
            progress(f"realtime via HTTP: {via_http.deliveries}/{via_http.expected} deliveries")
            await asyncio.sleep(0.2)  # let late duplicates or closes show up
        finally:
            await subs.close()
        ready = (await client.get("/ready")).json()

    peak, rss_now = server.peak_rss_mb()
    post_ms = summary_ms(post.latencies)
    direct_ms = summary_ms(direct.latencies)
    http_ms = summary_ms(via_http.latencies)
    http_post_ms = summary_ms(via_http.post_latencies)
    measured = len(post.latencies)
    return {
        "clients": args.clients,
        "messages_per_client": args.messages,
        "warmup_per_client": args.warmup,
        "http_pools": pools_n,
        "message_post_requests": measured + post.errors,
        "message_post_p50_ms": post_ms["p50"],
        "message_post_p95_ms": post_ms["p95"],
        "message_post_p99_ms": post_ms["p99"],
        "message_post_max_ms": post_ms["max"],
        "message_post_mean_ms": post_ms["mean"],
        "message_post_throughput_per_s": round(measured / post.wall_s, 1) if post.wall_s else None,
        "message_post_errors": post.errors,
        "message_post_error_kinds": dict(post.error_kinds),
        "message_post_wall_s": round(post.wall_s, 2),
        "message_post_cpu_s": post.cpu,
        "message_post_server_cpu_ms_per_message": (
            round(post.cpu["server"] * 1000 / measured, 2) if measured else None
        ),
        "message_post_db": post.db,
        "subscribers": args.subscribers,
        "realtime_conversations": args.rt_conversations,
        "ws_compression": args.ws_compression,
        "realtime_events": args.events,
        "realtime_interval_ms": args.interval_ms,
        "realtime_p50_ms": direct_ms["p50"],
        "realtime_p95_ms": direct_ms["p95"],
        "realtime_p99_ms": direct_ms["p99"],
        "realtime_max_ms": direct_ms["max"],
        "realtime_commit_p50_ms": summary_ms(direct.commit_times)["p50"],
        "realtime_commit_p99_ms": summary_ms(direct.commit_times)["p99"],
        "realtime_first_p50_ms": summary_ms(direct.first)["p50"],
        "realtime_first_p99_ms": summary_ms(direct.first)["p99"],
        "realtime_fanout_spread_p50_ms": summary_ms(direct.spread)["p50"],
        "realtime_fanout_spread_p99_ms": summary_ms(direct.spread)["p99"],
        "realtime_deliveries": direct.deliveries,
        "realtime_expected": direct.expected,
        "realtime_lost": direct.lost,
        "realtime_duplicates": direct.duplicates,
        "realtime_publish_errors": direct.publish_errors,
        "realtime_cpu_s": direct.cpu,
        "realtime_http_events": args.http_events,
        "realtime_http_p50_ms": http_ms["p50"],
        "realtime_http_p95_ms": http_ms["p95"],
        "realtime_http_p99_ms": http_ms["p99"],
        "realtime_http_max_ms": http_ms["max"],
        "realtime_http_first_p50_ms": summary_ms(via_http.first)["p50"],
        "realtime_http_first_p99_ms": summary_ms(via_http.first)["p99"],
        "realtime_http_fanout_spread_p50_ms": summary_ms(via_http.spread)["p50"],
        "realtime_http_deliveries": via_http.deliveries,
        "realtime_http_expected": via_http.expected,
        "realtime_http_lost": via_http.lost,
        "realtime_http_duplicates": via_http.duplicates,
        "realtime_http_post_p50_ms": http_post_ms["p50"],
        "realtime_http_post_p95_ms": http_post_ms["p95"],
        "realtime_http_post_p99_ms": http_post_ms["p99"],
        "realtime_http_post_errors": via_http.post_errors,
        "realtime_http_cpu_s": via_http.cpu,
        "ws_slowest_subscribe_ms": round(slowest_subscribe * 1000, 1),
        "ws_closed_by_server": len(subs.closed),
        "ws_other_frames": dict(subs.other_frames),
        "server_peak_rss_mb": peak,
        "server_rss_end_mb": rss_now,
        "server_rss_at_ready_mb": rss_at_ready,
        "server_peak_rss_at_ready_mb": peak_at_ready,
        "server_peak_rss_after_setup_mb": peak_after_setup,
        "server_rss_after_post_mb": rss_after_post,
        "server_ready_at_end": ready.get("status"),
        "setup_s": round(setup_s, 2),
        "cpu_cores": os.cpu_count(),
        "server_env": sorted(args.server_env),
        "other_processes_cpu_share": {
            "message_post": other_share(post.cpu),
            "realtime": other_share(direct.cpu),
            "realtime_http": other_share(via_http.cpu),
        },
    }


def other_share(cpu: dict[str, float]) -> float:
    """The share of the machine's CPU that processes outside the benchmark used (or was stolen)."""
    other = cpu["machine"] - cpu["server"] - cpu["postgres"] - cpu["bench"]
    capacity = cpu["wall"] * (os.cpu_count() or 1)
    return round(max(other + cpu["steal"], 0.0) / capacity, 3) if capacity > 0 else 0.0


def progress(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


def print_table(r: dict[str, Any]) -> None:
    def row(label: str, *cells: Any) -> None:
        print(f"  {label:<38}" + "".join(f"{c:>11}" for c in cells))

    print()
    print(
        f"Foundation benchmark ({r['cpu_cores']} cores; client, server and PostgreSQL share them)"
    )
    print()
    if r["server_env"]:
        print(f"  server environment added: {' '.join(r['server_env'])}")
        print()
    row("", "p50 ms", "p95 ms", "p99 ms", "max ms")
    row(
        f"message POST ({r['clients']} clients)",
        fmt(r["message_post_p50_ms"]),
        fmt(r["message_post_p95_ms"]),
        fmt(r["message_post_p99_ms"]),
        fmt(r["message_post_max_ms"]),
    )
    row(
        "realtime commit -> WebSocket",
        fmt(r["realtime_p50_ms"]),
        fmt(r["realtime_p95_ms"]),
        fmt(r["realtime_p99_ms"]),
        fmt(r["realtime_max_ms"]),
    )
    row(
        "realtime POST start -> WebSocket",
        fmt(r["realtime_http_p50_ms"]),
        fmt(r["realtime_http_p95_ms"]),
        fmt(r["realtime_http_p99_ms"]),
        fmt(r["realtime_http_max_ms"]),
    )
    row(
        "  COMMIT itself (direct)",
        fmt(r["realtime_commit_p50_ms"]),
        "",
        fmt(r["realtime_commit_p99_ms"]),
        "",
    )
    row(
        "  first socket per event (direct)",
        fmt(r["realtime_first_p50_ms"]),
        "",
        fmt(r["realtime_first_p99_ms"]),
        "",
    )
    row(
        "  first..last socket spread (direct)",
        fmt(r["realtime_fanout_spread_p50_ms"]),
        "",
        fmt(r["realtime_fanout_spread_p99_ms"]),
        "",
    )
    row(
        "  POST start -> first socket",
        fmt(r["realtime_http_first_p50_ms"]),
        "",
        fmt(r["realtime_http_first_p99_ms"]),
        "",
    )
    row(
        "  (that POST's own latency)",
        fmt(r["realtime_http_post_p50_ms"]),
        fmt(r["realtime_http_post_p95_ms"]),
        fmt(r["realtime_http_post_p99_ms"]),
        "",
    )
    print()
    print(
        f"  message POST: {r['message_post_requests']:,} measured requests "
        f"({r['messages_per_client']} per client after {r['warmup_per_client']} warm-up, "
        f"{r['http_pools']} httpx pools), "
        f"{fmt(r['message_post_throughput_per_s'])} messages/s, "
        f"{r['message_post_errors']} errors {r['message_post_error_kinds'] or ''}"
    )
    print(
        f"  realtime: {r['subscribers']} sockets on {r['realtime_conversations']} conversation(s), "
        f"per-message deflate {r['ws_compression']}, one event every {r['realtime_interval_ms']} ms"
    )
    print(
        f"    direct app.publish: {r['realtime_deliveries']:,}/{r['realtime_expected']:,} "
        f"deliveries, lost {r['realtime_lost']}, duplicates {r['realtime_duplicates']}, "
        f"publish errors {r['realtime_publish_errors']}"
    )
    print(
        f"    via HTTP POST:      {r['realtime_http_deliveries']:,}/"
        f"{r['realtime_http_expected']:,} deliveries, lost {r['realtime_http_lost']}, "
        f"duplicates {r['realtime_http_duplicates']}, POST errors {r['realtime_http_post_errors']}"
    )
    print(
        f"    sockets closed by the server: {r['ws_closed_by_server']}; "
        f"other frames: {r['ws_other_frames'] or 'none'}"
    )
    print(
        f"  server peak RSS (VmHWM) {fmt(r['server_peak_rss_mb'], ' MB')}, "
        f"at the end {fmt(r['server_rss_end_mb'], ' MB')}; "
        f"at /ready: RSS {fmt(r['server_rss_at_ready_mb'], ' MB')}, "
        f"peak {fmt(r['server_peak_rss_at_ready_mb'], ' MB')}; "
        f"peak after setup (incl. 1 login) {fmt(r['server_peak_rss_after_setup_mb'], ' MB')}; "
        f"RSS after message POST {fmt(r['server_rss_after_post_mb'], ' MB')}"
    )
    db = r["message_post_db"]
    print(
        f"  database during message POST: {db.get('sessions', '-')} new sessions (connections), "
        f"{db.get('xact_commit', '-')} commits, {db.get('xact_rollback', '-')} rollbacks, "
        f"{db.get('backends_at_end', '-')} backends at the end; server CPU per message "
        f"{fmt(r['message_post_server_cpu_ms_per_message'], ' ms')}"
    )
    print("  CPU seconds used during each phase (wall = elapsed):")
    noisy: list[str] = []
    for label, key in (
        ("message POST", "message_post_cpu_s"),
        ("realtime direct", "realtime_cpu_s"),
        ("realtime via HTTP", "realtime_http_cpu_s"),
    ):
        c = r[key]
        other = max(c["machine"] - c["server"] - c["postgres"] - c["bench"], 0.0)
        print(
            f"    {label:<18} wall {c['wall']:>6.2f}  server {c['server']:>6.2f}  "
            f"postgres {c['postgres']:>6.2f}  bench client {c['bench']:>6.2f}  "
            f"other processes {other:>6.2f}  stolen {c['steal']:>5.2f}"
        )
        share = r["other_processes_cpu_share"][key.removesuffix("_cpu_s")]
        if share > 0.10:
            noisy.append(f"{label} {100 * share:.0f}%")
    if noisy:
        print(
            "  WARNING: other processes used a share of the machine during "
            + ", ".join(noisy)
            + "; these figures are pessimistic, run again on a quiet machine"
        )
    print()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.foundation",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=100, help="concurrent widget customers")
    parser.add_argument("--messages", type=int, default=20, help="measured messages per client")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured messages per client")
    parser.add_argument(
        "--http-pools",
        type=int,
        default=100,
        help="httpx.AsyncClient pools the customers are spread over (1: one shared pool)",
    )
    parser.add_argument("--subscribers", type=int, default=100, help="WebSocket subscribers")
    parser.add_argument(
        "--rt-conversations",
        type=int,
        default=1,
        help="conversations the subscribers are spread over (1: all on one)",
    )
    parser.add_argument("--events", type=int, default=200, help="events published directly")
    parser.add_argument(
        "--http-events", type=int, default=200, help="messages posted through the API"
    )
    parser.add_argument("--interval-ms", type=float, default=20.0, help="pace of the events")
    parser.add_argument(
        "--ws-compression",
        choices=["deflate", "none"],
        default="deflate",
        help="per-message deflate on the sockets (browsers ask for it)",
    )
    parser.add_argument(
        "--drain-s", type=float, default=10.0, help="wait for late deliveries after the last event"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server, repeatable (e.g. DB_POOL_SIZE=30)",
    )
    parser.add_argument("--timeout", type=float, default=170.0, help="limit of the whole run (s)")
    args = parser.parse_args(argv)
    for name in ("clients", "http_pools", "subscribers", "rt_conversations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for item in args.server_env:
        if "=" not in item or not item.split("=", 1)[0]:
            parser.error(f"--server-env takes KEY=VALUE, not {item!r}")
    for name in ("messages", "events", "http_events", "warmup"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    server = BenchServer(dict(item.split("=", 1) for item in args.server_env))
    try:
        progress("starting embedded PostgreSQL and the server")
        server.start()
        progress(f"server ready on {server.base_url} in {time.monotonic() - started:.1f} s")
        remaining = max(args.timeout - (time.monotonic() - started), 10.0)

        async def bounded() -> dict[str, Any]:
            return await asyncio.wait_for(run(server, args), remaining)

        try:
            import uvloop  # a lighter client leaves more of the shared cores to the server

            runner: Any = uvloop.run
        except ImportError:
            runner = asyncio.run
        result: dict[str, Any] = runner(bounded())
        warnings_logged = server.warning_lines()
        result["server_warnings_logged"] = len(warnings_logged)
        print_table(result)
        if warnings_logged:
            print(f"  the server logged {len(warnings_logged)} warning/error lines, first ones:")
            for line in warnings_logged[:5]:
                print(f"    {line[:200]}")
            print()
        result["total_s"] = round(time.monotonic() - started, 1)
        print(json.dumps(result, separators=(",", ":")), flush=True)
        return 0
    except TimeoutError:
        print(f"the benchmark did not finish within {args.timeout:.0f} s", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"the benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        tail = server.log_tail()
        if tail:
            print(f"server log (last lines):\n{tail}", file=sys.stderr)
        return 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
