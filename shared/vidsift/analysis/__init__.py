"""``vidsift analyze``: what a collection of videos holds, before choosing a recipe's thresholds.

Reads container metadata only (PyAV), in parallel; unreadable inputs are listed, never fatal. Writes
``report.json``, ``report.md``, ``videos.jsonl`` (one line per readable video) and PNG histograms.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

from ..config import Settings
from .inputs import expand_inputs
from .probe import Unreadable, VideoMeta, probe
from .render import markdown, plot_charts
from .stats import summarize

# Threads, not processes: a local probe is ~5 ms of CPU (PyAV releases the GIL inside FFmpeg), and for
# s3:// inputs the time is network latency, which threads overlap. More threads than 2 per CPU only
# add contention on local files; raise --workers for s3://. See bench/analyze.py.
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)


def scan(uris: list[str], settings: Settings, workers: int = DEFAULT_WORKERS
         ) -> Iterator[VideoMeta | dict[str, str]]:
    """Probe each URI; yield its VideoMeta, or {uri, error, error_type} when it is unreadable."""

    def one(uri: str) -> VideoMeta | dict[str, str]:
        try:
            return probe(uri, settings)
        except Exception as exc:  # noqa: BLE001 - one bad input (or a storage error) must not end the scan
            cause = exc.__cause__ if isinstance(exc, Unreadable) and exc.__cause__ else exc
            return {"uri": uri, "error": str(exc), "error_type": type(cause).__name__}

    pool = ThreadPoolExecutor(max(1, workers))
    try:
        yield from pool.map(one, uris)
    finally:
        # On Ctrl-C (or a caller that stops early) drop the queued probes instead of running them all.
        pool.shutdown(wait=True, cancel_futures=True)


def analyze(inputs: list[str], out_dir: str | Path, settings: Settings,
            workers: int = DEFAULT_WORKERS, on_progress: Callable[[int, int], None] | None = None,
            charts: bool = True) -> dict[str, Any]:
    """Analyse the inputs and write the report files to out_dir; return report.json's content."""
    uris = expand_inputs(inputs, settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metas: list[VideoMeta] = []
    unreadable: list[dict[str, str]] = []
    with open(out / "videos.jsonl", "w") as lines:
        for i, result in enumerate(scan(uris, settings, workers), 1):
            if isinstance(result, VideoMeta):
                metas.append(result)
                lines.write(json.dumps(result.to_json()) + "\n")
            else:
                unreadable.append(result)
            if on_progress:
                on_progress(i, len(uris))
    report = summarize(metas, unreadable)
    durations = [m.duration for m in metas if m.duration is not None]
    chart_files = plot_charts(report, durations, out) if charts else {}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(markdown(report, chart_files))
    return report


__all__ = ["DEFAULT_WORKERS", "VideoMeta", "analyze", "expand_inputs", "probe", "scan", "summarize"]
