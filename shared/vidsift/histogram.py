"""The report's stat histograms: bins fine enough to read a threshold off, and the threshold drawn.

One plotting stack, and the lightest: inline SVG whose geometry is computed here and drawn by the
report's template. The runner and every service image import this module, so it needs no plotting
library (matplotlib stays in the ``analyze`` extra), and the page stays one self-contained file
that any browser shows offline.

Per stat: every clip that has the stat counts once per value (a per-video list counts each), split
into kept (accepted), rejected by this stat's own filter, and rejected by another op. About ``BINS``
bins span the data (up to the 1st or 99th percentile when the last percent lies far out and would
squash the rest; those values are counted in the edge bins), the grid is shifted so the first threshold is a bin edge, and a threshold
near the data widens the axis to show it; one far from it (``max_score: 10000``) is named, not drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from .ops.base import Filter
from .recipe import Recipe

BINS = 50
WIDTH, HEIGHT = 520, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 22, 30
KINDS = ("kept", "this_op", "other_op")


@dataclass(frozen=True)
class Threshold:
    stat: str
    op: str
    kind: str  # "min" (keeps values at or above it) or "max"
    name: str  # the recipe parameter
    value: float


@dataclass
class Histogram:
    stat: str
    ops: list[str]  # the filters that judge this stat
    counts: dict[str, int]  # per kind, over every bin
    bars: list[dict] = field(default_factory=list)  # x, width, a rect per kind, a title
    ticks: list[dict] = field(default_factory=list)  # x, label
    lines: list[dict] = field(default_factory=list)  # thresholds on the axis: x, label
    off_axis: list[str] = field(default_factory=list)  # thresholds too far from the data to draw
    top: int = 0  # the tallest bar's count
    clamped: int = 0  # outliers counted in an edge bin
    width: int = WIDTH
    height: int = HEIGHT


def thresholds(recipe: Recipe | None) -> list[Threshold]:
    """Every filter's bounds (``Filter.bounds``: the filter says which of its parameters are thresholds)."""
    out = []
    for spec in recipe.ops if recipe else ():
        if issubclass(spec.cls, Filter):
            out += [Threshold(stat, spec.name, kind, name, value)
                    for stat, kind, name, value in spec.cls(spec.params).bounds()]
    return out


def owners(recipe: Recipe | None) -> dict[str, list[str]]:
    """{stat: the filters that judge it}."""
    out: dict[str, list[str]] = {}
    for spec in recipe.ops if recipe else ():
        if issubclass(spec.cls, Filter):
            for key in getattr(spec.cls, "stat_keys", ()) or ():
                out.setdefault(key, []).append(spec.name)
    return out


def numbers(value: Any) -> Iterable[float]:
    """A stat's numeric values: a number, or each number of a per-video list (data-juicer style)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            yield float(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from numbers(v)


def stat_values(accepted: list[dict], rejected: list[dict], own: dict[str, list[str]]) -> dict[str, dict[str, list[float]]]:
    """{stat: {kind: values}} for every numeric stat; ``rejected`` holds decisions only."""
    out: dict[str, dict[str, list[float]]] = {}
    for status, lines in (("kept", accepted), ("rejected", rejected)):
        for line in lines:
            for key, value in (line.get("__dj__stats__") or {}).items():
                vals = list(numbers(value))
                if not vals:
                    continue
                kind = status if status == "kept" else "this_op" if line.get("op") in own.get(key, ()) else "other_op"
                out.setdefault(key, {k: [] for k in KINDS})[kind].extend(vals)
    return dict(sorted(out.items()))


def histogram(stat: str, values: dict[str, list[float]], bounds: list[Threshold], ops: list[str],
              bins: int = BINS) -> Histogram:
    every = sorted(v for k in KINDS for v in values.get(k, ()))
    h = Histogram(stat, ops, {k: len(values.get(k, ())) for k in KINDS})
    if not every:
        return h
    lo, hi = every[0], every[-1]
    if len(every) >= 50:  # a few outliers would squash the rest into one bin: they go in the edge bins
        qlo, qhi = every[len(every) // 100], every[-1 - len(every) // 100]
        if qhi > qlo:  # trimmed on the side where the last percent lies further out than the rest spans
            lo = qlo if qlo - lo > 2 * (qhi - qlo) else lo
            hi = qhi if hi - qhi > 2 * (qhi - qlo) else hi
    span = hi - lo
    near = [t for t in bounds if span == 0 and abs(t.value - lo) <= max(abs(lo), 1.0)
            or span > 0 and lo - span <= t.value <= hi + span]
    h.off_axis = [f"{t.name} {t.value:g} ({t.op})" for t in bounds if t not in near]
    lo, hi = min([lo] + [t.value for t in near]), max([hi] + [t.value for t in near])
    if hi == lo:
        pad = max(abs(lo) * 0.05, 0.05)
        lo, hi = lo - pad, hi + pad
    step = (hi - lo) / bins
    if near:  # shift the grid so the first threshold is a bin edge
        t = near[0].value
        lo = t - math.ceil((t - lo) / step - 1e-9) * step
    n = max(1, math.ceil((hi - lo) / step - 1e-9))
    if lo + n * step <= hi:
        n += 1  # the maximum itself falls in the last bin [edge, edge + step)
    grid = [dict.fromkeys(KINDS, 0) for _ in range(n)]
    for kind in KINDS:
        for v in values.get(kind, ()):
            i = math.floor((v - lo) / step)
            if i < 0 or i >= n:
                h.clamped += 1
            grid[min(max(i, 0), n - 1)][kind] += 1
    _draw(h, grid, lo, step, near)
    return h


def _draw(h: Histogram, grid: list[dict], lo: float, step: float, near: list[Threshold]) -> None:
    n = len(grid)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bw = plot_w / n
    h.top = max(sum(b.values()) for b in grid) or 1

    def x_of(v: float) -> float:
        return round(LEFT + (v - lo) / step * bw, 1)

    for i, counts in enumerate(grid):
        y = HEIGHT - BOTTOM
        rects = []
        for kind in KINDS:
            height = plot_h * counts[kind] / h.top
            if counts[kind]:
                y -= height
                rects.append({"kind": kind, "y": round(y, 1), "height": round(height, 1)})
        a, b = lo + i * step, lo + (i + 1) * step
        title = (f"{_fmt(a)} to {_fmt(b)}: {counts['kept']} kept, {counts['this_op']} rejected by "
                 f"{' / '.join(h.ops) or 'this stat’s filter'}, {counts['other_op']} rejected by another op")
        h.bars.append({"x": round(LEFT + i * bw, 1), "width": round(max(bw - 0.6, 0.6), 1), "rects": rects,
                       "title": title})
    h.ticks = [{"x": x_of(lo), "label": _fmt(lo), "anchor": "start"},
               {"x": x_of(lo + n * step), "label": _fmt(lo + n * step), "anchor": "end"}]
    for t in near:
        x = x_of(t.value)  # the label right of its line, or left of it near the right edge
        h.lines.append({"x": x, "label": f"{t.kind} {_fmt(t.value)}", "label_x": x + 2 if x < WIDTH - 70 else x - 2,
                        "anchor": "start" if x < WIDTH - 70 else "end"})


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def histograms(accepted: list[dict], rejected: list[dict], recipe: Recipe | None) -> list[Histogram]:
    own = owners(recipe)
    bounds = thresholds(recipe)
    return [histogram(stat, vals, [t for t in bounds if t.stat == stat], own.get(stat, []))
            for stat, vals in stat_values(accepted, rejected, own).items()]
