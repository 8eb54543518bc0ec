"""Real backend processes for tests that need sockets (WebSocket, several replicas)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(env: dict[str, str], data_dir: Path, timeout_s: float = 30) -> Iterator[str]:
    """Start `contactcenter serve` with `env`; yield its base URL once /ready answers 200."""
    with server_process(env, data_dir, timeout_s) as (base, _process):
        yield base


@contextmanager
def server_process(
    env: dict[str, str], data_dir: Path, timeout_s: float = 30
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`running_server`, also yielding the process (to find or signal its children)."""
    port = free_port()
    full_env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        "ENGINE_PROCESS": "false",  # one process per server: tests of replicas count them
        **env,
    }
    log_path = data_dir / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "contactcenter", "serve"],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
