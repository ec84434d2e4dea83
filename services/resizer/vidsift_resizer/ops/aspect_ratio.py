"""video_resize_aspect_ratio_mapper: data-juicer's aspect-ratio clamp, or vidsift's targets.

Without targets, a clip whose display aspect ratio is outside [min_ratio, max_ratio] is stretched
to the nearest bound (``strategy`` says whether a side grows or shrinks); in range, the output is the
clip at its display size.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import field_validator

from ..geometry import dj_aspect_ratio
from .common import ResizeMapper, ResizeParams


class VideoResizeAspectRatioMapper(ResizeMapper):
    name = "video_resize_aspect_ratio_mapper"

    class Params(ResizeParams):
        min_ratio: str = "9/21"  # "9/21" or "9:21", as data-juicer writes them
        max_ratio: str = "21/9"
        strategy: Literal["decrease", "increase"] = "increase"

        @field_validator("min_ratio", "max_ratio")
        @classmethod
        def _ratio(cls, v: str) -> str:
            try:
                if Fraction(str(v).replace(":", "/")) <= 0:
                    raise ValueError
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"{v!r} is not a positive ratio like '9/21' or '9:21'") from None
            return str(v)

    def dj_size(self, width, height):
        p = self.params
        def ratio(s):
            return Fraction(s.replace(":", "/"))
        return dj_aspect_ratio(width, height, ratio(p.min_ratio), ratio(p.max_ratio), p.strategy)
