"""The report: ``report.html``, built around decisions — what each op threw away, and why.

``vidsift run`` writes it into its output directory; ``vidsift export`` writes one beside what it
exports, for a distributed job too. From the records (manifest and rejected lines), ``summary.json``
and the frozen recipe, one page shows:

* the headline counts, taken from the summary itself, so the two always agree;
* per op and reason class, how many clips it rejected and a contact sheet of them: a clip rejected
  in the split stage by its thumbnail (a bounded, deterministic sample the splitter keeps, see
  ``layout.thumb_key``), a later rejection by one of its sample frames;
* per stat, a histogram with the recipe's thresholds drawn and each bar split into kept / rejected
  by this stat's filter / rejected by another op (``vidsift.histogram``);
* accepted clips, playable (a resized output when there is one) with their captions;
* inputs that gave no clip, and failures (which are not decisions about the data).

The page is a Jinja2 template (``templates/report.html.j2``). Images and videos are files next to it:
in a run directory, referenced by relative path; for an export, copied into ``<name>_files/`` beside
the report (only what the page shows, a bounded number), so it opens offline from disk either way.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from . import layout
from .histogram import histograms
from .jobs import JobStore, sort_key
from .manifest import write_atomic
from .ops.base import STAGES
from .outcomes import is_failure, reason_class
from .recipe import Recipe, recipe_from_json
from .storage import FileStorage
from .storage.file import file_url_to_path

GALLERY = 24  # rejected clips shown per op and reason class (the splitter keeps as many per source)
ACCEPTED = 48  # accepted clips shown, playable
LISTED = 200  # inputs without clips and failures listed; every one is counted


class Assets(Protocol):
    def src(self, uri: str) -> str | None:
        """A path the page can load for an artifact (its URI, or its key in the job store), or None."""


class LocalAssets:
    """The report inside the run directory: artifacts by relative path, so the directory can move."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def src(self, uri: str) -> str | None:
        scheme = urlparse(uri).scheme
        if scheme not in ("", "file"):
            return None  # s3:// and the like: not on this disk
        path = file_url_to_path(uri) if scheme else (self.root / uri)
        try:
            rel = path.resolve().relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix() if (self.root / rel).is_file() else None


class CopiedAssets:
    """A report apart from the job (``vidsift export``, local or S3): each artifact the page shows is
    copied from the job store into ``folder`` beside the report, once."""

    def __init__(self, jobs: JobStore, dest_dir: Path, folder: str):
        self.jobs, self.dest, self.folder = jobs, Path(dest_dir), folder
        self.copied = 0

    def src(self, uri: str) -> str | None:
        prefix = self.jobs.store.url + "/"
        key = uri[len(prefix):] if uri.startswith(prefix) else uri
        if urlparse(key).scheme:
            return None  # not an artifact of this job
        path = self.dest / self.folder / key
        if not path.is_file():
            if not self.jobs.store.exists(key):
                return None
            write_atomic(path, self.jobs.store.get_bytes(key))
            self.copied += 1
        return f"{self.folder}/{key}"


def headline(summary: dict) -> dict[str, Any]:
    """The counts the page leads with, from summary.json (never recounted)."""
    failed_inputs, rejected_inputs = summary.get("failed_inputs") or {}, summary.get("rejected_inputs") or {}
    n_failed, n_rejected = sum(failed_inputs.values()), sum(rejected_inputs.values())
    with_clips = summary.get("sources_with_clips", 0)
    return {
        "inputs": summary.get("inputs", with_clips + n_failed + n_rejected),
        "sources_with_clips": with_clips,
        "rejected_inputs": n_rejected, "rejected_inputs_by_type": rejected_inputs,
        "failed_inputs": n_failed, "failed_inputs_by_type": failed_inputs,
        "accepted_clips": summary.get("accepted_clips", 0),
        "rejected_clips": summary.get("rejected_clips", 0),
        "failed_clips": sum((summary.get("failed_clips") or {}).values()),
        "failed_clips_by_type": summary.get("failed_clips") or {},
    }


def stage_counts(accepted: list[dict], rejected: list[dict]) -> list[dict[str, Any]]:
    """Per stage, in pipeline order: clips that entered, were rejected there, and passed on.
    ``rejected`` holds decisions only (failures are not rejections)."""
    clip_rejects = [r for r in rejected if "clip" in r]
    at = Counter(r.get("stage") or "unknown" for r in clip_rejects)
    stages = list(STAGES) + sorted(s for s in at if s not in STAGES)
    entered = len(accepted) + len(clip_rejects)
    rows = []
    for stage in stages:
        rows.append({"stage": stage, "entered": entered, "rejected": at[stage], "passed": entered - at[stage]})
        entered -= at[stage]
    return rows


def decisions(rejected: list[dict], thumbs: dict[str, str], assets: Assets,
              per_group: int = GALLERY) -> list[dict[str, Any]]:
    """Rejected clips per op and reason class, largest op first: count, an example reason, and up to
    ``per_group`` images (the smallest clip ids that have one, so the same clips as the splitter kept)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for line in sorted((r for r in rejected if "clip" in r), key=lambda r: r["clip"].get("id", "")):
        op = line.get("op") or f"({line.get('stage') or 'unknown'} stage)"
        cls = reason_class(line.get("reason")) or "(no reason)"
        g = groups.setdefault((op, cls), {"op": op, "reason": cls, "stage": line.get("stage") or "",
                                          "count": 0, "example": line.get("reason") or "", "clips": []})
        g["count"] += 1
        if len(g["clips"]) < per_group:
            src = _image(line, thumbs, assets)
            if src:
                g["clips"].append({"src": src, "label": _label(line), "title": line.get("reason") or ""})
    per_op = Counter()
    for g in groups.values():
        per_op[g["op"]] += g["count"]
    return sorted(groups.values(), key=lambda g: (-per_op[g["op"]], g["op"], -g["count"], g["reason"]))


def _image(line: dict, thumbs: dict[str, str], assets: Assets) -> str | None:
    clip = line["clip"]
    if clip.get("id") in thumbs:
        return assets.src(thumbs[clip["id"]])
    frames = clip.get("frames") or []
    return assets.src(frames[len(frames) // 2]) if frames else None


def _label(line: dict) -> str:
    clip = line.get("clip") or {}
    name = Path(urlparse(clip.get("source") or line.get("source") or "").path).name
    return f"{name} {clip.get('start', 0):.2f}–{clip.get('end', 0):.2f} s"


def accepted_gallery(accepted: list[dict], assets: Assets, limit: int = ACCEPTED) -> list[dict[str, Any]]:
    """Up to ``limit`` accepted clips (the smallest ids: a sample across sources), in source order: the
    smallest resized output as a video, its middle sample frame as the poster, the caption."""
    shown = sorted(sorted(accepted, key=lambda l: l["clip"].get("id", ""))[:limit], key=sort_key)
    out = []
    for line in shown:
        clip = line["clip"]
        resized = clip.get("resized") or {}
        target = min(resized, key=_area) if resized else None
        uris = clip.get("frames") or []
        video = assets.src(resized[target]) if target else None
        # only what the page shows is resolved (an export copies each): a poster, or a strip of frames
        poster = assets.src(uris[len(uris) // 2]) if video and uris else None
        frames = [] if video else [s for s in (assets.src(u) for u in _spread(uris, 4)) if s]
        out.append({"label": _label(line), "id": clip.get("id", ""), "text": line.get("text") or "",
                    "video": video, "target": target if video else None, "poster": poster, "frames": frames})
    return out


def _area(target: str) -> int:
    w, _, h = target.partition("x")
    return int(w) * int(h) if w.isdigit() and h.isdigit() else 1 << 62


def _spread(items: list, n: int) -> list:
    if len(items) <= n:
        return items
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def context(accepted: list[dict], rejected: list[dict], summary: dict, recipe: Recipe | None,
            thumbs: dict[str, str], assets: Assets) -> dict[str, Any]:
    """Everything the template shows."""
    failures = [r for r in rejected if is_failure(r)]
    decided = [r for r in rejected if not is_failure(r)]  # decisions about the data only
    return {
        "title": f"vidsift report — {summary.get('job', 'job')}",
        "head": headline(summary),
        "stages": stage_counts(accepted, decided),
        "decisions": decisions(decided, thumbs, assets),
        "no_clip_inputs": [r for r in decided if "clip" not in r][:LISTED],
        "failures": failures[:LISTED], "n_failures": len(failures),
        "histograms": histograms(accepted, decided, recipe),
        "accepted": accepted_gallery(accepted, assets), "n_accepted": len(accepted),
        "per_group": GALLERY, "summary_json": json.dumps(summary, indent=2, sort_keys=True),
        "recipe_id": recipe.id if recipe else summary.get("recipe_id", ""),
    }


def render(ctx: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("vidsift", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**ctx)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_run_report(out_dir: str | Path, accepted: list[dict] | None = None, rejected: list[dict] | None = None,
                     summary: dict | None = None, recipe: Recipe | None = None) -> Path:
    """Write ``out_dir/report.html`` from the run's lines, summary and recipe (the runner passes what it
    has just written; given only the directory, they are read from its files)."""
    out = Path(out_dir)
    if summary is None:
        path = out / "summary.json"
        summary = json.loads(path.read_text()) if path.exists() else {}
    if recipe is None and (out / layout.RECIPE).exists():
        recipe = recipe_from_json((out / layout.RECIPE).read_text())
    accepted = read_jsonl(out / "manifest.jsonl") if accepted is None else accepted
    rejected = read_jsonl(out / "rejected.jsonl") if rejected is None else rejected
    thumbs = JobStore(FileStorage(str(out)), "local").thumbnails() if (out / layout.THUMBS).is_dir() else {}
    dest = out / "report.html"
    write_atomic(dest, render(context(accepted, rejected, summary, recipe, thumbs, LocalAssets(out))))
    return dest


def write_job_report(jobs: JobStore, dest: Path, accepted: list[dict], rejected: list[dict], summary: dict,
                     recipe: Recipe | None) -> Path:
    """Write a report of a job's lines at ``dest``, its images and videos copied into ``<stem>_files/``
    beside it (``vidsift export``: the job may be in S3, the page must open from disk)."""
    dest = Path(dest)
    assets = CopiedAssets(jobs, dest.parent, f"{dest.stem}_files")
    write_atomic(dest, render(context(accepted, rejected, summary, recipe, jobs.thumbnails(), assets)))
    return dest
