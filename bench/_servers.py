"""What the benchmarks share (not a benchmark): gunicorn servers on loopback and waiting for them to answer."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent


def gunicorn(app: str, port: int, chdir: Path, env: dict[str, str]) -> subprocess.Popen:
    """`app` under gunicorn with 2 sync workers on 127.0.0.1:`port` (the settings every bench compares under)."""
    return subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "sync", "--bind",
                             f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning", app],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(status: Callable[[int, str], int], port: int, path: str, timeout: float = 90) -> None:
    """Until `status(port, path)` is 200; exits the bench when the server never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if status(port, path) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {path}")
