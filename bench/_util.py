"""Benchmark helpers: run a command as a child process and read its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VIDEOS = (REPO / ".." / "shared" / "testdata" / "videos").resolve()


def measure(cmd: list[str], cwd: str | None = None) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one child process (its own, not this interpreter's)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-1500:]}")
    return seconds, usage.ru_maxrss / 1024


def python_cmd(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(r: list) -> str:
        return "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
