"""Summaries of probed videos, in the shape of the reference scheme's DATA ANALYSIS section. Pure."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import numpy as np

from .probe import VideoMeta


def ranked(counter: Counter) -> dict[str, int]:
    """Most common first; ties by name, so the report is the same on every run."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def fps_label(fps: float | None) -> str:
    # 3 decimals tells 29.97 from 30 and 23.976 from 24 without splitting jittery VFR rates apart.
    return "unknown" if not fps else f"{round(fps, 3):g}"


def duration_stats(durations: list[float]) -> dict[str, Any]:
    if not durations:
        return {"count": 0, "min": None, "max": None, "mean": None, "median": None, "std": None}
    d = np.asarray(durations, dtype=float)
    # Population standard deviation (numpy's default), as a report over a whole collection.
    return {"count": int(d.size), "min": float(d.min()), "max": float(d.max()),
            "mean": float(d.mean()), "median": float(np.median(d)), "std": float(d.std())}


def summarize(metas: Iterable[VideoMeta], unreadable: list[dict[str, str]]) -> dict[str, Any]:
    """report.json: counts are over readable videos; ``unreadable`` lists the rest with the reason."""
    metas = list(metas)
    durations = [m.duration for m in metas if m.duration is not None]
    return {
        "videos": len(metas),
        "unreadable": unreadable,
        "resolutions": ranked(Counter(f"{m.width}x{m.height}" for m in metas)),
        "coded_resolutions": ranked(Counter(f"{m.coded_width}x{m.coded_height}" for m in metas)),
        "duration": duration_stats(durations),
        "fps": ranked(Counter(fps_label(m.fps) for m in metas)),
        "codecs": ranked(Counter(m.codec or "unknown" for m in metas)),
        "total_hours": float(sum(durations)) / 3600,
    }
