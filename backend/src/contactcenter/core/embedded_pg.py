"""The embedded PostgreSQL (the `pgserver` wheel) used when DATABASE_URL is unset.

Several processes on one data folder share one postmaster; it stops when the last handle exits.
A handle killed with SIGKILL leaves its pid in `.handle_pids.json` and would keep the server
alive for ever, so dead pids are dropped before attaching.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_handles(pgdata: Path) -> list[int]:
    path = pgdata / ".handle_pids.json"
    if not path.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(path.read_text() or "[]")]
    except (ValueError, TypeError):
        pids = []
    alive = [p for p in pids if _pid_alive(p)]
    stale = [p for p in pids if p not in alive]
    if stale:
        path.write_text(json.dumps(alive))
        log.info("embedded_postgres.stale_handles_removed", pids=stale)
    return stale


def start_embedded_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or attach to) the embedded server; return its handle and its URL."""
    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    clean_stale_handles(pgdata)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here
        warnings.simplefilter("ignore")
        import pgserver  # imported here: production never loads it

        server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    uri: str = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return server, uri
