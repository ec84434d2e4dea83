"""A source's frame index (every video packet's presentation time, the key frames'): one document, or
the parts the range tasks of a long source stored.

The split stage stores it so the resizer maps a clip's frame span to stream times without reading the
source (the resize stage reads it). A whole-source split demuxes the source and stores one document
(``index/{source_id}.json``). A source split in ranges is never demuxed whole: each range task stores
the index of the frames it decoded with its outcome (``ranges/{source_id}/{start}.json``, key
``index``: ``first``, ``frame_times`` of frames ``first``…, ``keyframes``), and the last range to finish
joins the ranges' own frames into the one document, equal to a whole demux's. Until then the resizer
reads the parts that exist: frames no stored part covers have no time (None).
"""

from __future__ import annotations

from fractions import Fraction


def index_time(t: Fraction) -> float:
    """A packet time as the index stores it: ffprobe's microsecond precision."""
    return float(f"{float(t):f}")


def join(plan: dict, parts: list[dict | None]) -> dict | None:
    """The whole index from every range's part (in plan order), or None when one is missing or does
    not cover its range's own frames."""
    if not plan.get("indexed") or len(parts) != len(plan["ranges"]):
        return None
    times, keys = [], []
    fps = plan["fps"]
    for (a, b), part in zip(plan["ranges"], parts):
        if part is None or part["first"] > a or part["first"] + len(part["frame_times"]) < b:
            return None
        times += part["frame_times"][a - part["first"]:b - part["first"]]
        keys += [k for k in part["keyframes"] if (a - 0.5) / fps <= k < (b - 0.5) / fps]
    return {"frame_times": times, "keyframes": keys}


def partial(plan: dict, parts: list[dict | None]) -> dict | None:
    """What the stored parts tell: a time for each frame they cover (None elsewhere), their key frames.
    ``from_start``: the key frames include the source's first (a part from frame 0 is there)."""
    if not plan.get("indexed"):
        return None
    times: list[float | None] = [None] * plan["frames"]
    keys: set[float] = set()
    for part in parts:
        if part is None:
            continue
        first = part["first"]
        times[first:first + len(part["frame_times"])] = part["frame_times"][:max(0, plan["frames"] - first)]
        keys.update(part["keyframes"])
    if all(t is None for t in times):
        return None
    return {"frame_times": times, "keyframes": sorted(keys), "partial": True,
            "from_start": any(p is not None and p["first"] == 0 for p in parts)}


def load(jobs, source_id: str, frame: int | None = None) -> dict | None:
    """The stored index of a source (``JobStore``): the whole document, else what its ranges' parts tell
    (only the part of the range that owns ``frame``, when given: a clip's first frame)."""
    doc = jobs.load_index(source_id)
    if doc is not None:
        return doc
    plan = jobs.load_plan(source_id)
    if plan is None:
        return None
    return partial(plan, [(jobs.load_range(source_id, a) or {}).get("index")
                          if frame is None or a <= frame < b else None for a, b in plan["ranges"]])
