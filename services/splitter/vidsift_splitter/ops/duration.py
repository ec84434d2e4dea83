"""video_duration_filter: keep clips whose duration (seconds) is in [min_duration, max_duration]."""

from __future__ import annotations

import sys

from pydantic import NonNegativeFloat

from vidsift.ops.base import Filter, FilterParams


class VideoDurationFilter(Filter):
    name = "video_duration_filter"
    stage = "split"
    stat_keys = ("video_duration",)

    class Params(FilterParams):
        min_duration: NonNegativeFloat = 0.0
        max_duration: NonNegativeFloat = sys.float_info.max

    def decide(self, stats):
        p = self.params
        return self._range_decision("video_duration", stats, p.min_duration, p.max_duration)
