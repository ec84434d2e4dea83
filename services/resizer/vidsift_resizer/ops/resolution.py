"""video_resize_resolution_mapper: data-juicer's min/max width and height rule, or vidsift's targets.

The reference scheme's use: ``{targets: ["512x512", "256x256"], mode: stretch}``. Without targets,
the op writes one output sized like data-juicer's op (applied to the display size, so rotated and
anamorphic sources are judged as they are seen), or the clip unchanged in size when in range.
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from ..geometry import dj_resolution
from .common import ResizeMapper, ResizeParams


class VideoResizeResolutionMapper(ResizeMapper):
    name = "video_resize_resolution_mapper"

    class Params(ResizeParams):
        min_width: PositiveInt = 1
        max_width: PositiveInt = sys.maxsize
        min_height: PositiveInt = 1
        max_height: PositiveInt = sys.maxsize
        force_original_aspect_ratio: Literal["disable", "decrease", "increase"] = "disable"
        force_divisible_by: PositiveInt = Field(2)

        @model_validator(mode="after")
        def _divisible(self):
            if self.force_original_aspect_ratio != "disable" and self.force_divisible_by % 2:
                raise ValueError("force_divisible_by must be a positive even number with force_original_aspect_ratio")
            return self

    def dj_size(self, width, height):
        p = self.params
        return dj_resolution(width, height, p.min_width, p.max_width, p.min_height, p.max_height,
                             p.force_original_aspect_ratio, p.force_divisible_by)
