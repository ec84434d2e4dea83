"""video_resolution_filter: keep clips whose width and height are both in range (closed intervals).

Width and height are the coded picture size, as data-juicer reads them from the codec context.
"""

from __future__ import annotations

import sys

from pydantic import PositiveInt

from vidsift.ops.base import Decision, Filter, FilterParams, in_range, range_reason


class VideoResolutionFilter(Filter):
    name = "video_resolution_filter"
    stage = "split"
    stat_keys = ("video_width", "video_height")

    class Params(FilterParams):
        min_width: PositiveInt = 1
        max_width: PositiveInt = sys.maxsize
        min_height: PositiveInt = 1
        max_height: PositiveInt = sys.maxsize

    def decide(self, stats):
        p = self.params
        w, h = stats.get("video_width"), stats.get("video_height")
        reasons = []
        if not in_range(w, p.min_width, p.max_width):
            reasons.append(range_reason("video_width", w, p.min_width, p.max_width))
        if not in_range(h, p.min_height, p.max_height):
            reasons.append(range_reason("video_height", h, p.min_height, p.max_height))
        return Decision(self.name, not reasons, {"video_width": w, "video_height": h}, "; ".join(reasons) or None)
