"""Collect a job's records into the dataset files: manifest.jsonl, rejected.jsonl, summary.json.

The embedded run and ``vidsift export`` (over S3) both use this, so the two give the same files.
Files are written to a temp name and renamed: an interrupted run never leaves half a line.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

from .jobs import JobStore, sort_key
from .outcomes import failure_kind, reason_class
from .storage.file import UMASK




def collect(jobs: JobStore) -> tuple[list[dict], list[dict]]:
    accepted, rejected = [], []
    seen: set[str] = set()
    for doc in jobs.records():
        line = doc["line"]
        key = (line.get("clip") or {}).get("id") or line.get("source")
        if key in seen:  # a record is keyed by clip id, so this only guards hand-made stores
            continue
        seen.add(key)
        (accepted if doc["status"] == "accepted" else rejected).append(line)
    return sorted(accepted, key=sort_key), sorted(rejected, key=sort_key)


# The summary keys the CLI prints when a run or an export ends.
HEADLINE = ("accepted_clips", "rejected_clips", "failed_clips", "failed_inputs", "rejected_inputs")


def summarize(accepted: list[dict], rejected: list[dict], extra: dict[str, Any] | None = None) -> dict:
    by_op: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    failed, dropped, failed_clips, kinds = Counter(), Counter(), Counter(), Counter()
    for line in rejected:
        kind = failure_kind(line)
        if kind:
            kinds[kind] += 1
        if "clip" not in line:
            etype = line.get("error_type") or "unknown"
            (failed if kind else dropped)[etype] += 1
            continue
        if kind:  # could not be processed: not a decision about the data, so not a rejection
            failed_clips[line["error_type"]] += 1
            continue
        op = line.get("op") or "unknown"
        by_op[line.get("stage") or "?"][op] += 1
        reasons[op][reason_class(line.get("reason"))] += 1
    sources = {l["clip"]["source"] for l in accepted + rejected if "clip" in l}
    return {
        "accepted_clips": len(accepted),
        "rejected_clips": sum(sum(c.values()) for c in by_op.values()),
        "failed_clips": dict(failed_clips),  # by error type
        "failed_inputs": dict(failed),
        # failures that are the input's own (unreadable, missing, refused) vs ours (model, API, storage,
        # internal): `vidsift run` exits 1 on the latter (outcomes.ErrorType)
        "failures": {"input": kinds["input"], "system": kinds["system"]},
        "rejected_inputs": dict(dropped),  # no clip at all, or the same bytes as another input
        "sources_with_clips": len(sources),
        "rejected_by_stage_op": {s: dict(c) for s, c in sorted(by_op.items())},
        "rejection_reasons": {op: dict(c.most_common(20)) for op, c in sorted(reasons.items())},
        "accepted_seconds": round(sum(l["__dj__stats__"].get("video_duration", 0) for l in accepted), 3),
        **_stage_totals(accepted + rejected),
        **(extra or {}),
    }


def _stage_totals(lines: list[dict]) -> dict:
    """What each installed stage adds to the summary (StageSpec.summary: e.g. caption tokens and cost)."""
    from .stages import load, stage_specs

    out: dict = {}
    for spec in stage_specs().values():
        if spec.summary:
            out.update(load(spec.summary)(lines))
    return out


def write_jsonl(path: Path, lines: Iterable[dict]) -> None:
    write_atomic(path, "".join(json.dumps(l, sort_keys=True, ensure_ascii=False) + "\n" for l in lines))


def write_json(path: Path, doc: dict) -> None:
    write_atomic(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


STATS = "__dj__stats__"


def write_parquet(path: Path, lines: list[dict]) -> None:
    """One row per line, a column per top-level key. ``videos`` is a list of strings; ``__dj__stats__`` a
    struct with one nullable, typed field per stat key in the export (the union of the lines' keys, so
    a clip that never reached a filter has a null there); every other value that is not a string
    (``clip``, ``meta``) is a JSON string, since its shape differs from clip to clip (a struct would
    change schema with it). Needs pyarrow (extra 'export')."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # The manifest columns always, in this order (a failed input's row has 'source' and no 'clip').
    names = list(dict.fromkeys(["videos", "text", STATS, "clip", *(k for l in lines for k in l)]))
    cols = {n: [l.get(n) if n == "videos" or isinstance(l.get(n), str) or l.get(n) is None
                else json.dumps(l[n], sort_keys=True, ensure_ascii=False) for l in lines] for n in names if n != STATS}
    cols[STATS] = stats_column([l.get(STATS) or {} for l in lines])
    schema = pa.schema([(n, pa.list_(pa.string()) if n == "videos" else cols[STATS].type if n == STATS
                         else pa.string()) for n in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(fd, 0o666 & ~UMASK)
    os.close(fd)
    pq.write_table(pa.table({n: cols[n] for n in names}, schema=schema), tmp)
    os.replace(tmp, path)


def stats_column(stats: list[dict]):
    """A struct array: one field per stat key (sorted), each typed by pyarrow from its values (ints and
    floats together are float64), null where a line lacks the key. A key whose values have no common
    type (a number here, a string there) is a JSON string field rather than a failed export."""
    import pyarrow as pa

    keys = sorted({k for s in stats for k in s})
    fields, arrays = [], []
    for key in keys:
        values = [s.get(key) for s in stats]
        try:
            arr = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if v is None else json.dumps(v, sort_keys=True) for v in values], pa.string())
        if pa.types.is_null(arr.type):  # only nulls: still a typed, nullable column
            arr = arr.cast(pa.float64())
        fields.append(pa.field(key, arr.type, nullable=True))
        arrays.append(arr)
    if not fields:  # Parquet has no struct without fields: no stat at all is a null column
        return pa.nulls(len(stats))
    return pa.StructArray.from_arrays(arrays, fields=fields)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole output file atomically (a reader never sees half of it), readable under the umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes 0600: the dataset is for other users and web servers too
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def export_job(jobs: JobStore, manifest: Path, rejected_path: Path | None = None,
               summary_path: Path | None = None, extra: dict | None = None) -> tuple[dict, list[dict], list[dict]]:
    """Write the job's manifest, rejections and summary; return (summary, accepted, rejected lines)."""
    accepted, rejected = collect(jobs)
    summary = summarize(accepted, rejected, extra)
    write_jsonl(manifest, accepted)
    write_jsonl(rejected_path or manifest.with_name("rejected.jsonl"), rejected)
    write_json(summary_path or manifest.with_name("summary.json"), summary)
    return summary, accepted, rejected
