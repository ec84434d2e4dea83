"""video_split_by_duration_mapper: pieces of each scene on data-juicer's time grid (data-juicer's op).

Piece k of a scene holds the frames inside [s0 + k·split_duration, s0 + (k+1)·split_duration); the
last piece of a scene longer than ``split_duration`` is kept only if it lasts at least
``min_last_split_duration`` seconds (else it is a rejected clip); a scene no longer than
``split_duration`` is kept whole. The splitter's scan does the cutting (``vidsift_splitter/pieces.py``).
"""

from __future__ import annotations

from pydantic import NonNegativeFloat, PositiveFloat

from vidsift.ops.base import OpParams, SpanMapper


class VideoSplitByDurationMapper(SpanMapper):
    name = "video_split_by_duration_mapper"
    stage = "split"

    class Params(OpParams):
        split_duration: PositiveFloat = 10.0
        min_last_split_duration: NonNegativeFloat = 0.0

    def span_options(self) -> dict:
        p = self.params
        return {"split_duration": p.split_duration, "min_last_split_duration": p.min_last_split_duration}
