"""Output sizes and the scale/pad/crop chain of each resize mode (pure: no ffmpeg is run here).

Sizes are computed in Python from the *display* aspect ratio (rotation and sample aspect ratio
applied) instead of with ffmpeg's ``scale`` expressions, because ``force_original_aspect_ratio``
reads pixel dimensions and ignores the sample aspect ratio: an anamorphic 704x576 (SAR 16:11)
source would come out squeezed. Every output has square pixels (``setsar=1``): training loaders
ignore SAR, so a non-square output would be seen distorted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Mode = Literal["stretch", "fit", "fill"]
MODES: tuple[str, ...] = ("stretch", "fit", "fill")


def even(x: float) -> int:
    """Nearest even size >= 2 (yuv420p halves chroma, so H.264 needs even dimensions)."""
    return max(2, round(x / 2) * 2)


def even_up(x: float) -> int:
    """Smallest even size >= x (fill must cover the box; a 1e-9 slack absorbs float noise)."""
    return max(2, math.ceil(x / 2 - 1e-9) * 2)


@dataclass(frozen=True)
class Geometry:
    """Frames as they enter the filtergraph: ffmpeg has already applied the rotation (autorotate)."""

    width: int
    height: int
    sar: Fraction = Fraction(1)

    @classmethod
    def from_stream(cls, width: int, height: int, sar: Fraction | None, rotation: int) -> "Geometry":
        sar = sar if sar and sar > 0 else Fraction(1)
        if rotation % 180:  # ±90°: ffmpeg's transpose swaps the size and inverts the SAR
            return cls(height, width, 1 / sar)
        return cls(width, height, sar)

    @property
    def aspect(self) -> Fraction:
        return self.width * self.sar / self.height

    def display_size(self) -> tuple[int, int]:
        """The square-pixel size showing the whole frame: SAR widens (or narrows) the width."""
        return even(self.width * self.sar), even(self.height)


def chain(geom: Geometry, width: int, height: int, mode: str) -> str:
    """Filter chain from a decoded frame to a ``width`` x ``height`` yuv420p frame."""
    tail = "setsar=1,format=yuv420p"
    if mode == "stretch":  # the reference scheme's: scale to the box, aspect not kept
        return f"scale={width}:{height},{tail}"
    box = Fraction(width, height)
    wider = geom.aspect >= box
    if mode == "fit":  # keep aspect, whole frame visible, black bars
        sw, sh = (width, min(height, even(width / geom.aspect))) if wider else \
                 (min(width, even(height * geom.aspect)), height)
        pad = "" if (sw, sh) == (width, height) else f",pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
        return f"scale={sw}:{sh}{pad},{tail}"
    if mode == "fill":  # keep aspect, cover the box, centre crop
        sw, sh = (even_up(height * geom.aspect), height) if wider else (width, even_up(width / geom.aspect))
        crop = "" if (sw, sh) == (width, height) else f",crop={width}:{height}"
        return f"scale={sw}:{sh}{crop},{tail}"
    raise ValueError(f"unknown resize mode {mode!r}; expected one of {MODES}")


def dj_resolution(width: int, height: int, min_width: int, max_width: int, min_height: int, max_height: int,
                  force_original_aspect_ratio: str, force_divisible_by: int) -> tuple[int, int] | None:
    """data-juicer's video_resize_resolution_mapper size rule; None when the size is already in range."""
    if min_width <= width <= max_width and min_height <= height <= max_height:
        return None
    ratio = width / height
    w, h = float(width), float(height)
    # Bring each side into range in data-juicer's order, carrying the other side along.
    if w < min_width:
        w, h = min_width, min_width / ratio
    if w > max_width:
        w, h = max_width, max_width / ratio
    if h < min_height:
        w, h = min_height * ratio, min_height
    if h > max_height:
        w, h = max_height * ratio, max_height
    div = 2 if force_original_aspect_ratio == "disable" else force_divisible_by
    w = _clamp_divisible(w, min_width, max_width, div)
    h = _clamp_divisible(h, min_height, max_height, div)
    if force_original_aspect_ratio == "increase":
        w, h = (h * ratio, h) if w / h < ratio else (w, w / ratio) if w / h > ratio else (w, h)
    elif force_original_aspect_ratio == "decrease":
        w, h = (w, w / ratio) if w / h < ratio else (h * ratio, h) if w / h > ratio else (w, h)
    return max(div, round(w / div) * div), max(div, round(h / div) * div)


def _clamp_divisible(x: float, lo: int, hi: int, div: int) -> int:
    x = math.ceil(int(max(x, lo)) / div) * div
    return int(min(x, hi)) // div * div


def dj_aspect_ratio(width: int, height: int, min_ratio: Fraction, max_ratio: Fraction,
                    strategy: str) -> tuple[int, int] | None:
    """data-juicer's video_resize_aspect_ratio_mapper size rule; None when the ratio is in range."""
    ratio = Fraction(width, height)
    w, h = width, height
    if ratio < min_ratio:
        if strategy == "increase":
            w = math.ceil(height * min_ratio)
            w += w % 2
        else:
            h = math.floor(width / min_ratio)
            h -= h % 2
    elif ratio > max_ratio:
        if strategy == "increase":
            h = math.ceil(width / max_ratio)
            h += h % 2
        else:
            w = math.floor(height * max_ratio)
            w -= w % 2
    else:
        return None
    return max(2, w), max(2, h)
