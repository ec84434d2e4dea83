"""Caption totals over manifest lines: tokens and cost for ``summary.json`` and metrics.

A line's ``clip.caption`` is written by the caption stage (accepted and rejected clips alike).
"""

from __future__ import annotations

from typing import Iterable

FIELDS = ("prompt_tokens", "completion_tokens", "cost_usd")


def caption_usage(line: dict) -> dict | None:
    """The caption usage recorded on one manifest line, or None if the clip was never captioned."""
    usage = (line.get("clip") or {}).get("caption")
    return usage if isinstance(usage, dict) else None


def caption_totals(lines: Iterable[dict]) -> dict:
    """Sum of caption usage over manifest lines, per model and overall.

    ``{"clips", "prompt_tokens", "completion_tokens", "cost_usd", "by_model": {model: {...}}}``
    """
    total = {"clips": 0, **{f: 0 for f in FIELDS}}
    by_model: dict[str, dict] = {}
    for line in lines:
        usage = caption_usage(line)
        if usage is None:
            continue
        model = by_model.setdefault(usage.get("model", "?"), {"clips": 0, **{f: 0 for f in FIELDS}})
        for acc in (total, model):
            acc["clips"] += 1
            for f in FIELDS:
                acc[f] += usage.get(f) or 0
    for acc in (total, *by_model.values()):
        acc["cost_usd"] = round(acc["cost_usd"], 8)  # float noise off; a cheap clip costs ~1e-4 USD
    return {**total, "by_model": by_model}


def summary(lines: list[dict]) -> dict:
    """summary.json's ``captions`` (StageSpec.summary): caption tokens and cost, when a captioner ran
    (refused captions were paid for too)."""
    totals = caption_totals(lines)
    return {"captions": totals} if totals.get("clips") else {}
