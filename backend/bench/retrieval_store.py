"""Qdrant Edge store benchmark: upsert, optimize, tenant-filtered hybrid search, disk and memory.

Run from backend/: ``.venv/bin/python -m bench.retrieval_store``. Sizes come from
``BENCH_SIZES`` (default ``10000,50000,200000``); ``BENCH_QUERIES`` (default 400) sets the
number of timed searches. Each size runs in a child process of its own, so that its peak RSS
is its own. Everything happens in a temporary folder that is removed afterwards.

Per size N:

- N synthetic points: random 384-d unit vectors, BM25 text of three sentences drawn from a
  small built-in word list, ``tenant_id = i % 10`` (so the tenant filter matches 1/10);
- **upsert**: ``EdgeVectorStore.upsert`` in calls of 1,000 points (BM25 encoding, point
  conversion, the engine and the flush after each call are all inside the timing);
- **optimize** (HNSW build), only when N >= 20,000 as the product does;
- **search**: ``store.search`` (dense + BM25 in one ``query_batch``, both tenant-filtered,
  fused client-side, prefetch 20/20, top 10) for random tenants, random unit query vectors and
  2-5 random words, after 20 warm-up searches; the query embedding is not part of it;
- **stall**: the longest time a Python thread waiting on a 10 ms sleep could not run during
  upsert and during optimize. qdrant-edge 0.9.0 holds the GIL inside its calls, so this is how
  long an asyncio event loop in the same process would freeze;
- disk size of the collection folder (allocated blocks), peak RSS of the child (VmHWM).

The last line of the output is one JSON object with every figure.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
TENANTS = 10
UPSERT_CALL = 1_000
OPTIMIZE_FROM = 20_000
WARMUP = 20

WORDS = (
    "order refund delivery parcel pharmacy prescription insulin vaccine dose tablet capsule "
    "syrup allergy fever cough headache pain doctor nurse appointment opening hours weekend "
    "holiday store branch address phone email account password login invoice payment card "
    "transfer discount coupon loyalty points subscription renewal cancel return exchange "
    "warranty damaged missing late tracking courier warehouse stock shortage generic brand "
    "label storage fridge temperature expiry date pregnancy child adult elderly dosage "
    "interaction alcohol driving side effect rash nausea dizziness blood pressure sugar "
    "diabetes asthma inhaler contact lens glasses hearing aid bandage plaster thermometer "
    "mask gloves sanitizer sunscreen vitamin supplement herbal homeopathy consultation "
    "privacy consent data deletion complaint feedback manager callback chat queue agent"
).split()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def folder_size(path: Path) -> int:
    """Allocated bytes, as ``du`` counts them (the WAL preallocates sparse 32 MB files)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def peak_rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class StallMeter:
    """A thread that sleeps 10 ms in a loop and records the longest gap between wake-ups."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last - 0.01)
            last = now

    def __enter__(self) -> StallMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sentence(rng: np.random.Generator) -> str:
    words = rng.choice(WORDS, size=int(rng.integers(6, 13)))
    return " ".join(words).capitalize() + "."


def synthetic_points(rng: np.random.Generator, start: int, size: int) -> list[Any]:
    """Points start..start+size: random unit vectors, BM25 text of three sentences, 10 tenants."""
    from contactcenter.vectorstore.base import ChunkPoint

    vectors = rng.normal(size=(size, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    points = []
    for j in range(size):
        i = start + j
        text = " ".join(sentence(rng) for _ in range(3))
        points.append(
            ChunkPoint(
                id=str(uuid.UUID(int=i + 1)),
                tenant_id=f"t{i % TENANTS}",
                document_id=f"doc-{i // 4}",
                chunk_no=i % 4,
                content_hash="v1",
                vector=vectors[j],
                sparse_text=text,
                title=f"Document {i // 4}",
                section=None,
                text=text,
            )
        )
    return points


def run_one(n: int, queries: int, workdir: Path) -> dict[str, Any]:
    from contactcenter.vectorstore.base import CollectionSpec, SearchQuery
    from contactcenter.vectorstore.edge import EdgeVectorStore

    load_before = os.getloadavg()[0]
    rng = np.random.default_rng(n)
    spec = CollectionSpec(name="bench", dim=DIM, model_id="random-384")
    store = EdgeVectorStore(workdir)
    store.create_collection(spec)

    upsert_s = 0.0
    with StallMeter() as upsert_stall:
        for start in range(0, n, UPSERT_CALL):
            size = min(UPSERT_CALL, n - start)
            points = synthetic_points(rng, start, size)
            t0 = time.perf_counter()
            store.upsert(spec.name, points)
            upsert_s += time.perf_counter() - t0

    optimize_s: float | None = None
    optimize_stall: float | None = None
    if n >= OPTIMIZE_FROM:
        with StallMeter() as meter:
            t0 = time.perf_counter()
            store.optimize(spec.name)
            optimize_s = time.perf_counter() - t0
        optimize_stall = meter.max_gap

    def one_query() -> SearchQuery:
        vector = rng.normal(size=DIM).astype(np.float32)
        vector /= np.linalg.norm(vector)
        words = " ".join(rng.choice(WORDS, size=int(rng.integers(2, 6))))
        return SearchQuery(tenant_id=f"t{int(rng.integers(TENANTS))}", vector=vector, text=words)

    for _ in range(WARMUP):
        store.search(spec.name, one_query())
    latencies: list[float] = []
    hits: list[int] = []
    for _ in range(queries):
        q = one_query()
        t0 = time.perf_counter()
        result = store.search(spec.name, q)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        hits.append(len(result))
    count = store.count(spec.name, "t3")
    store.close()

    t0 = time.perf_counter()
    reopened = EdgeVectorStore(workdir)
    reopened.count(spec.name, "t3")
    reopen_s = time.perf_counter() - t0
    reopened.close()

    return {
        "n": n,
        "upsert_pts_per_s": n / upsert_s,
        "upsert_s": upsert_s,
        "upsert_max_stall_ms": upsert_stall.max_gap * 1000.0,
        "optimize_s": optimize_s,
        "optimize_max_stall_s": optimize_stall,
        "search_ms_p50": percentile(latencies, 50),
        "search_ms_p95": percentile(latencies, 95),
        "search_ms_p99": percentile(latencies, 99),
        "search_ms_mean": statistics.fmean(latencies),
        "queries": queries,
        "mean_hits": statistics.fmean(hits),
        "tenant_count_check": count,
        "reopen_s": reopen_s,
        "disk_bytes": folder_size(workdir / spec.name),
        "peak_rss_bytes": peak_rss_bytes(),
        # the machine's 1-min load average before/after: other work on the cores skews figures
        "loadavg_1m": [load_before, os.getloadavg()[0]],
    }


def _fmt(value: float | None, spec: str) -> str:
    width = int("".join(ch for ch in spec.split(".")[0] if ch.isdigit()) or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        n = int(sys.argv[2])
        queries = int(os.environ.get("BENCH_QUERIES", "400"))
        workdir = Path(tempfile.mkdtemp(prefix="bench-edge-"))
        try:
            print(json.dumps(run_one(n, queries, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return

    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,50000,200000").split(",") if s]
    results: list[dict[str, Any]] = []
    for n in sizes:
        print(f"running N={n} ...", file=sys.stderr, flush=True)
        child = subprocess.run(
            [sys.executable, "-m", "bench.retrieval_store", "--one", str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))

    header = (
        f"{'N':>8} {'upsert pts/s':>12} {'optimize s':>10} {'opt stall s':>11} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'reopen s':>8} {'disk MB':>8} {'RSS MB':>7} "
        f"{'load':>9}"
    )
    print(header)
    for r in results:
        print(
            f"{r['n']:>8} {r['upsert_pts_per_s']:>12,.0f} {_fmt(r['optimize_s'], '>10.1f')} "
            f"{_fmt(r['optimize_max_stall_s'], '>11.1f')} {r['search_ms_p50']:>7.2f} "
            f"{r['search_ms_p95']:>7.2f} {r['search_ms_p99']:>7.2f} {r['reopen_s']:>8.2f} "
            f"{r['disk_bytes'] / 1e6:>8.0f} {r['peak_rss_bytes'] / 1e6:>7.0f} "
            f"{r['loadavg_1m'][0]:>4.1f}/{r['loadavg_1m'][1]:<4.1f}"
        )
    print(json.dumps({"bench": "retrieval_store", "dim": DIM, "results": results}))


if __name__ == "__main__":
    main()
