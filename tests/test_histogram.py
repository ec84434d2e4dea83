"""Histograms a threshold can be read off: the recipe's bounds found, a bin edge on the threshold, bars
split into kept / rejected by this op / rejected by another op."""

from __future__ import annotations

import math
import random

from tests.recipes import CPU_SPLIT
from vidsift.histogram import BINS, Threshold, histogram, histograms, owners, stat_values, thresholds
from vidsift.recipe import load_recipe

RECIPE = load_recipe(CPU_SPLIT + "  - video_watermark_filter: {backend: ocr, prob_threshold: 0.6}\n")


def test_thresholds_come_from_each_filters_parameters():
    found = {(t.stat, t.kind, t.name, t.value) for t in thresholds(RECIPE)}
    assert found == {
        ("video_duration", "min", "min_duration", 1.0), ("video_duration", "max", "max_duration", 3.0),
        ("video_width", "min", "min_width", 256.0), ("video_width", "max", "max_width", 1800.0),
        ("video_height", "min", "min_height", 256.0), ("video_height", "max", "max_height", 1800.0),
        ("video_motion_score", "min", "min_score", 0.25),  # not max_size (a resize parameter); max is unbounded
        ("video_watermark_prob", "max", "prob_threshold", 0.6),
    }
    assert owners(RECIPE)["video_motion_score"] == ["video_motion_score_filter"]


def _motion_values(seed=0):
    rng = random.Random(seed)
    return {"kept": [rng.uniform(0.25, 8.0) for _ in range(300)],
            "this_op": [rng.uniform(0.0, 0.2499) for _ in range(40)],
            "other_op": [rng.uniform(0.0, 8.0) for _ in range(30)]}


def _edges(h):
    return [b["x"] for b in h.bars]


def test_the_threshold_is_a_bin_edge_and_bins_are_fine():
    """The old report's 20 bins over 0-8 put the motion threshold 0.25 inside the first bin."""
    values = _motion_values()
    bound = [t for t in thresholds(RECIPE) if t.stat == "video_motion_score"]
    h = histogram("video_motion_score", values, bound, ["video_motion_score_filter"])
    assert BINS <= len(h.bars) <= BINS + 2
    [line] = h.lines
    assert line["label"] == "min 0.25" and line["x"] in _edges(h)  # the line sits on a bin's left edge
    i = _edges(h).index(line["x"])
    below, above = h.bars[:i], h.bars[i:]
    # every clip this op rejected is left of the line, every kept one right of it
    assert sum(r["height"] > 0 for b in below for r in b["rects"] if r["kind"] == "kept") == 0
    assert sum(r["height"] > 0 for b in above for r in b["rects"] if r["kind"] == "this_op") == 0
    assert h.counts == {"kept": 300, "this_op": 40, "other_op": 30} and h.clamped == 0


def test_bar_heights_add_up_to_the_counts():
    values = _motion_values(1)
    h = histogram("video_motion_score", values, [], [])
    unit = (h.height - 22 - 30) / h.top  # plot height per clip
    total = sum(r["height"] for b in h.bars for r in b["rects"]) / unit
    assert math.isclose(total, 370, rel_tol=0.01)


def test_a_far_threshold_is_named_not_drawn_and_outliers_go_to_the_edge_bins():
    values = {"kept": [float(v) for v in range(1, 101)] + [1e6], "this_op": [], "other_op": []}
    far = Threshold("s", "op", "max", "max_score", 10000.0)
    h = histogram("s", values, [far], ["op"])
    assert h.lines == [] and h.off_axis == ["max_score 10000 (op)"]
    assert h.clamped == 1 and float(h.ticks[-1]["label"]) < 1000  # the axis spans the data, not the outlier


def test_one_value_still_draws():
    h = histogram("video_width", {"kept": [1280.0] * 4, "this_op": [], "other_op": []}, [], [])
    assert sum(r["height"] > 0 for b in h.bars for r in b["rects"]) == 1


def test_kinds_follow_the_rejecting_op():
    own = owners(RECIPE)
    accepted = [{"__dj__stats__": {"video_motion_score": 1.0, "video_duration": 2.0}}]
    rejected = [{"op": "video_motion_score_filter", "__dj__stats__": {"video_motion_score": [0.1], "video_duration": 2.0}},
                {"op": "video_watermark_filter", "__dj__stats__": {"video_motion_score": 3.0, "flag": True}}]
    values = stat_values(accepted, rejected, own)
    assert values["video_motion_score"] == {"kept": [1.0], "this_op": [0.1], "other_op": [3.0]}
    assert values["video_duration"] == {"kept": [2.0], "this_op": [], "other_op": [2.0]}
    assert "flag" not in values
    assert [h.stat for h in histograms(accepted, rejected, RECIPE)] == ["video_duration", "video_motion_score"]
