"""What every resize op shares: vidsift's output targets and encoding parameters.

A resize op contributes outputs to the clip; all outputs of all resize ops in a recipe come out of
one decode of the clip's span (see ``stage``). With ``targets`` the op writes exactly those boxes;
without, it writes one output sized by its data-juicer rule (``dj_size``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidsift.ops.base import Materialiser, OpParams

from ..command import OutputSpec
from ..geometry import Geometry, Mode, chain

_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


class Target(BaseModel):
    """One output box: ``"512x512"`` or ``{size: "512x512", mode: fit}`` (mode: the op's if unset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(ge=2, le=8192)
    height: int = Field(ge=2, le=8192)
    mode: Mode | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"size": data}
        if isinstance(data, dict) and "size" in data:
            m = _SIZE.match(str(data["size"]))
            if not m:
                raise ValueError(f"target size {data['size']!r}: expected 'WIDTHxHEIGHT', e.g. '512x512'")
            data = {"width": int(m[1]), "height": int(m[2]), **{k: v for k, v in data.items() if k != "size"}}
        return data

    @model_validator(mode="after")
    def _even(self) -> "Target":
        if self.width % 2 or self.height % 2:
            raise ValueError(f"target {self.key}: H.264 yuv420p needs even width and height")
        return self

    @property
    def key(self) -> str:
        return f"{self.width}x{self.height}"


class ResizeParams(OpParams):
    save_dir: str | None = None  # data-juicer's; accepted so its recipes load (outputs go to the job's storage)
    targets: tuple[Target, ...] = ()
    mode: Mode = "stretch"  # the reference scheme resized to the box without keeping the aspect ratio
    full_resolution: bool = False  # also write the clip at the source's display size
    fps: float | None = Field(None, gt=0, le=240)  # None: the source's frame rate, every frame kept
    keep_audio: bool = False
    # x264: veryfast at crf 18 is closer to a lossless resize than the reference way's double encode
    # (crf 22 cut, then default crf 23), and cheaper than its 'fast'/'medium' (docs/resizer.md).
    crf: int = Field(18, ge=0, le=51)
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                    "veryslow"] = "veryfast"

    @model_validator(mode="after")
    def _unique(self) -> "ResizeParams":
        keys = [t.key for t in self.targets]
        if len(keys) != len(set(keys)):
            raise ValueError(f"targets {keys}: each size may appear once (it names the output file)")
        return self


class ResizeMapper(Materialiser):
    stage = "resize"
    Params: ClassVar[type[OpParams]] = ResizeParams

    def dj_size(self, width: int, height: int) -> tuple[int, int] | None:
        """data-juicer's size for a display size; None when the op would leave the video as is."""
        raise NotImplementedError

    def outputs(self, geom: Geometry) -> list[OutputSpec]:
        p = self.params
        boxes = [(t.width, t.height, t.mode or p.mode) for t in p.targets]
        full = geom.display_size()
        if not boxes:
            boxes.append((*(self.dj_size(*full) or full), "stretch"))
        if p.full_resolution:
            boxes.append((*full, "stretch"))
        return [self._spec(geom, w, h, mode) for w, h, mode in boxes]

    def _spec(self, geom: Geometry, width: int, height: int, mode: str) -> OutputSpec:
        p = self.params
        return OutputSpec(key=f"{width}x{height}", width=width, height=height,
                          chain=chain(geom, width, height, mode), fps=p.fps, audio=p.keep_audio,
                          crf=p.crf, preset=p.preset)
