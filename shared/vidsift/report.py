"""The run report: ``report.html`` in a ``vidsift run`` output directory.

Reads ``manifest.jsonl`` (accepted clips), ``rejected.jsonl`` and ``summary.json`` and writes one
self-contained HTML file: counts per stage, rejections by op and reason, a histogram of every numeric
stat (accepted and rejected stacked, so a new threshold can be read off it) and a contact sheet of
accepted clips' sample frames. Histograms are inline SVG so the runner needs no plotting library.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlparse

from .jobs import is_failure
from .ops.base import STAGES
from .outcomes import reason_class
from .storage.file import file_url_to_path

HIST_BINS = 20
CONTACT_CLIPS = 200  # clips on the contact sheet; the rest are counted, so the page stays light
CONTACT_FRAMES = 4  # frames per clip row
FAILED_ROWS = 200  # failed inputs listed; the rejections table counts them all


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def reason_group(reason: str | None) -> str:
    return reason_class(reason) or "(no reason)"  # the summary's grouping (vidsift.outcomes)


def stage_counts(accepted: list[dict], rejected: list[dict]) -> list[dict[str, Any]]:
    """Per stage, in pipeline order: clips that entered, were rejected there, and passed on."""
    clip_rejects = [r for r in rejected if "clip" in r]
    at = Counter(r.get("stage") or "unknown" for r in clip_rejects)
    stages = list(STAGES) + sorted(s for s in at if s not in STAGES)
    entered = len(accepted) + len(clip_rejects)
    rows = []
    for stage in stages:
        rows.append({"stage": stage, "entered": entered, "rejected": at[stage],
                     "passed": entered - at[stage]})
        entered -= at[stage]
    return rows


def rejections(rejected: list[dict]) -> list[tuple[str, int, list[tuple[str, int, str]]]]:
    """[(op, count, [(reason group, count, an example reason)])], largest first."""
    by_op: dict[str, Counter] = defaultdict(Counter)
    example: dict[tuple[str, str], str] = {}
    for r in rejected:
        op = r.get("op") or f"({r.get('stage') or 'unknown'} stage)"
        group = reason_group(r.get("reason"))
        if r.get("error_type"):
            group = f"{r['error_type']}: {group}"
        by_op[op][group] += 1
        example.setdefault((op, group), r.get("reason") or "")
    out = [(op, sum(c.values()), [(g, n, example[(op, g)]) for g, n in c.most_common()])
           for op, c in by_op.items()]
    return sorted(out, key=lambda t: (-t[1], t[0]))


def _numbers(value: Any) -> Iterable[float]:
    """A stat's numeric values: a number, or each number of a per-video list (data-juicer style)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            yield float(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers(v)


def stat_values(accepted: list[dict], rejected: list[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """{stat: (values of accepted clips, values of rejected clips)} for every numeric stat."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for i, lines in enumerate((accepted, rejected)):
        for line in lines:
            for key, value in (line.get("__dj__stats__") or {}).items():
                vals = list(_numbers(value))
                if vals:
                    out.setdefault(key, ([], []))[i].extend(vals)
    return dict(sorted(out.items()))


def histogram_svg(acc: list[float], rej: list[float], bins: int = HIST_BINS) -> str:
    """Stacked bars (accepted below, rejected above) as inline SVG."""
    lo, hi = min(acc + rej), max(acc + rej)
    width = (hi - lo) / bins or 1.0
    counts = [[0] * bins, [0] * bins]
    for k, vals in enumerate((acc, rej)):
        for v in vals:
            counts[k][min(int((v - lo) / width), bins - 1)] += 1
    top = max(a + r for a, r in zip(*counts)) or 1
    W, H, pad = 420, 140, 20
    bw = (W - 2 * pad) / bins
    bars = []
    for b in range(bins):
        x = pad + b * bw
        h_acc = (H - 2 * pad) * counts[0][b] / top
        h_rej = (H - 2 * pad) * counts[1][b] / top
        tip = f"{lo + b * width:.4g} – {lo + (b + 1) * width:.4g}: {counts[0][b]} accepted, {counts[1][b]} rejected"
        bars.append(f'<g><title>{html.escape(tip)}</title>'
                    f'<rect x="{x:.1f}" y="{H - pad - h_acc:.1f}" width="{bw - 1:.1f}" height="{h_acc:.1f}" class="acc"/>'
                    f'<rect x="{x:.1f}" y="{H - pad - h_acc - h_rej:.1f}" width="{bw - 1:.1f}" height="{h_rej:.1f}" class="rej"/></g>')
    axis = (f'<text x="{pad}" y="{H - 4}">{lo:.4g}</text>'
            f'<text x="{W - pad}" y="{H - 4}" text-anchor="end">{hi:.4g}</text>'
            f'<text x="{pad}" y="12">max {top}/bin</text>')
    return f'<svg width="{W}" height="{H}" class="hist">{"".join(bars)}{axis}</svg>'


def frame_src(uri: str, out_dir: Path) -> str | None:
    """An <img> src for a frame URI: relative inside the output directory (so it can be moved)."""
    scheme = urlparse(uri).scheme
    if scheme in ("http", "https"):
        return uri
    if scheme not in ("", "file"):
        return None  # s3:// and the like: a browser cannot show them
    path = file_url_to_path(uri)
    try:
        return path.relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return path.as_uri()


def _table(head: list[str], rows: Iterable[Iterable[Any]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _contact_sheet(accepted: list[dict], out_dir: Path) -> str:
    from .jobs import sort_key

    rows = []
    for line in sorted(accepted, key=sort_key)[:CONTACT_CLIPS]:
        clip = line.get("clip") or {}
        frames = [s for s in (frame_src(u, out_dir) for u in clip.get("frames") or []) if s]
        if len(frames) > CONTACT_FRAMES:  # spread the shown frames over the clip
            step = (len(frames) - 1) / (CONTACT_FRAMES - 1)
            frames = [frames[round(i * step)] for i in range(CONTACT_FRAMES)]
        imgs = "".join(f'<img loading="lazy" src="{html.escape(s)}">' for s in frames) or "<i>no frames</i>"
        name = Path(urlparse(clip.get("source", "")).path).name
        label = (f"{name} {clip.get('start', 0):.2f}–{clip.get('end', 0):.2f} s "
                 f"· {str(clip.get('id', ''))[:12]}")
        text = f'<div class="text">{html.escape(line.get("text") or "")}</div>' if line.get("text") else ""
        rows.append(f'<div class="clip"><div class="label">{html.escape(label)}</div>{imgs}{text}</div>')
    more = len(accepted) - CONTACT_CLIPS
    if more > 0:
        rows.append(f"<p>… and {more} more accepted clips (see manifest.jsonl).</p>")
    return "".join(rows) or "<p>No accepted clips.</p>"


CSS = """body{font:14px sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}
.hist .acc{fill:#55a868}.hist .rej{fill:#c44e52}.hist text{font-size:10px}
.stat{display:inline-block;margin:0 1.5em 1em 0;vertical-align:top}
.clip{margin:0 0 10px}.clip img{height:96px;margin-right:3px}.label,.text{font-size:12px;color:#555}"""


def render(out_dir: Path, accepted: list[dict], rejected: list[dict], summary: dict) -> str:
    inputs = [r for r in rejected if "clip" not in r]  # records of inputs that gave no clip
    failed = [r for r in inputs if is_failure(r)]
    failed_clips = [r for r in rejected if "clip" in r and is_failure(r)]
    rejected = [r for r in rejected if not is_failure(r)]  # decisions about the data only
    n_rejected = sum("clip" in r for r in rejected)
    sources = {r["clip"].get("source") for r in accepted + rejected + failed_clips if "clip" in r}
    parts = [f"<h1>vidsift run report</h1><p>{len(sources) + len(inputs)} inputs "
             f"({len(failed)} failed, {len(inputs) - len(failed)} gave no clip), {len(accepted)} clips accepted, "
             f"{n_rejected} clips rejected, {len(failed_clips)} clips failed.</p>"]
    if summary:
        parts.append("<h2>Summary</h2>" + _table(["key", "value"], (
            (k, v if not isinstance(v, (dict, list)) else json.dumps(v)) for k, v in summary.items())))
    parts.append("<h2>Clips per stage</h2>" + _table(
        ["stage", "entered", "rejected", "passed on"],
        ((r["stage"], r["entered"], r["rejected"], r["passed"]) for r in stage_counts(accepted, rejected))))
    parts.append("<h2>Rejections by op and reason</h2>")
    rows = [(op, n, group, gn, ex) for op, n, groups in rejections(rejected) for group, gn, ex in groups]
    parts.append(_table(["op", "total", "reason", "count", "example"], rows) if rows else "<p>None.</p>")
    if failed or failed_clips:
        parts.append("<h2>Failed inputs and clips</h2><p>Not decisions about the data: these could not be "
                     "processed (<code>vidsift run --resume --retry-failed</code> tries them again).</p>"
                     + _table(["source", "clip", "stage", "error", "reason"], (
                         (r.get("source") or r["clip"].get("source"), (r.get("clip") or {}).get("id", ""),
                          r.get("stage"), r.get("error_type") or "", r.get("reason") or "")
                         for r in (failed + failed_clips)[:FAILED_ROWS])))
    parts.append('<h2>Scores</h2><p><span style="color:#55a868">■</span> accepted '
                 '<span style="color:#c44e52">■</span> rejected</p>')
    for stat, (acc, rej) in stat_values(accepted, rejected).items():
        parts.append(f'<div class="stat"><b>{html.escape(stat)}</b> ({len(acc)} accepted, '
                     f'{len(rej)} rejected)<br>{histogram_svg(acc, rej)}</div>')
    parts.append("<h2>Accepted clips</h2>" + _contact_sheet(accepted, out_dir))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>vidsift run report</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def write_run_report(out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html`` from the run's manifest, rejections and summary; return its path."""
    out = Path(out_dir)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    page = render(out, read_jsonl(out / "manifest.jsonl"), read_jsonl(out / "rejected.jsonl"), summary)
    dest = out / "report.html"
    tmp = out / ".report.html.tmp"
    tmp.write_text(page)
    tmp.replace(dest)  # a browser open on the old report never sees half a page
    return dest
