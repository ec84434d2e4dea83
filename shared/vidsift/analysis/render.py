"""report.md and the PNG histograms of ``vidsift analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOP_RESOLUTIONS = 20  # the resolution chart shows the most common; report.json keeps them all
DURATION_BINS = 50


def percent(n: int, total: int) -> str:
    return f"{100 * n / total:.2f}%" if total else "0.00%"


def markdown(report: dict[str, Any], charts: dict[str, str]) -> str:
    n = report["videos"]
    d = report["duration"]
    out = ["# Video analysis", "",
           f"{n} readable videos, {len(report['unreadable'])} unreadable, "
           f"{report['total_hours']:.2f} hours in total.", "",
           "**Resolution statistics** (display size: rotation and pixel aspect applied):", ""]
    out += [f"- {res}: {c} ({percent(c, n)})" for res, c in report["resolutions"].items()]
    out += ["", "**Video Duration Statistics:**", "", f"- Total videos: {d['count']}"]
    if d["count"]:
        out += [f"- Shortest duration: {d['min']:.2f} seconds",
                f"- Longest duration: {d['max']:.2f} seconds",
                f"- Average duration: {d['mean']:.2f} seconds",
                f"- Median duration: {d['median']:.2f} seconds",
                f"- Standard deviation: {d['std']:.2f} seconds"]
    for title, key in (("Frame rates", "fps"), ("Codecs", "codecs")):
        out += ["", f"**{title}:**", ""]
        out += [f"- {k}: {c} ({percent(c, n)})" for k, c in report[key].items()]
    if report["unreadable"]:
        out += ["", "**Unreadable:**", ""]
        out += [f"- {u['uri']}: {u['error']}" for u in report["unreadable"]]
    if charts:
        out += [""] + [f"![{name}]({file})" for name, file in charts.items()]
    return "\n".join(out) + "\n"


def plot_charts(report: dict[str, Any], durations: list[float], out_dir: Path) -> dict[str, str]:
    """Write the histograms; return {title: file name}. No charts for an empty collection."""
    if not durations and not report["resolutions"]:
        return {}
    # Figure without pyplot: no backend selection, no display needed, and a quicker import.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    charts = {}
    if durations:
        fig = Figure(figsize=(8, 4.5))
        ax = fig.subplots()
        ax.hist(durations, bins=DURATION_BINS, color="#4c72b0")
        ax.set(xlabel="duration (s)", ylabel="videos", title=f"Durations ({len(durations)} videos)")
        fig.tight_layout()
        fig.savefig(out_dir / "durations.png", dpi=100)
        charts["Durations"] = "durations.png"
    top = list(report["resolutions"].items())[:TOP_RESOLUTIONS]
    if top:
        fig = Figure(figsize=(8, 0.8 + 0.32 * len(top)))
        ax = fig.subplots()
        names, counts = zip(*reversed(top))
        ax.barh(names, counts, color="#55a868")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="videos", title=f"Resolutions (top {len(top)} of {len(report['resolutions'])})")
        fig.tight_layout()
        fig.savefig(out_dir / "resolutions.png", dpi=100)
        charts["Resolutions"] = "resolutions.png"
    return charts
