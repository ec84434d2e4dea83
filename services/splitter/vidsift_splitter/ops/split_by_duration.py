"""video_split_by_duration_mapper: fixed-length pieces from each scene's start (data-juicer's op).

Pieces of ``split_duration`` seconds; the last piece of a scene is kept only if it lasts at least
``min_last_split_duration`` seconds.
"""

from __future__ import annotations

from pydantic import NonNegativeFloat, PositiveFloat

from vidsift.ops.base import Mapper, OpParams


class VideoSplitByDurationMapper(Mapper):
    name = "video_split_by_duration_mapper"
    stage = "split"

    class Params(OpParams):
        split_duration: PositiveFloat = 10.0
        min_last_split_duration: NonNegativeFloat = 0.0
