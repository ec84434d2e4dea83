"""The op registry: recipe op name -> implementing class ("module:Class", imported on first use).

Adding an op = one class in its own file + one line here + one test.
"""

from __future__ import annotations

import importlib
from functools import cache

OPS: dict[str, str] = {
    # splitter (CPU): spans and the filters computed in the same decode pass
    "video_split_by_scene_mapper": "vidsift_splitter.ops.split_by_scene:VideoSplitBySceneMapper",
    "video_split_by_duration_mapper": "vidsift_splitter.ops.split_by_duration:VideoSplitByDurationMapper",
    "video_validity_filter": "vidsift_splitter.ops.validity:VideoValidityFilter",
    "video_duration_filter": "vidsift_splitter.ops.duration:VideoDurationFilter",
    "video_resolution_filter": "vidsift_splitter.ops.resolution:VideoResolutionFilter",
    "video_motion_score_filter": "vidsift_splitter.ops.motion:VideoMotionScoreFilter",
    # resizer (CPU, ffmpeg): accepted clips at the training resolutions, one decode per clip
    "video_resize_resolution_mapper": "vidsift_resizer.ops.resolution:VideoResizeResolutionMapper",
    "video_resize_aspect_ratio_mapper": "vidsift_resizer.ops.aspect_ratio:VideoResizeAspectRatioMapper",
    # scorer (GPU): model filters on the splitter's stored sample frames
    "video_aesthetics_filter": "vidsift_scorer.ops.aesthetics:VideoAestheticsFilter",
    "video_watermark_filter": "vidsift_scorer.ops.watermark:VideoWatermarkFilter",
    "video_nsfw_filter": "vidsift_scorer.ops.nsfw:VideoNSFWFilter",
    # captioner (GPU or API): the clip's text from uniformly sampled frames
    "video_captioning_mapper": "vidsift_captioner.ops.captioning:VideoCaptioningMapper",
}


class UnknownOp(KeyError):
    pass


@cache
def op_class(name: str):
    try:
        target = OPS[name]
    except KeyError:
        raise UnknownOp(name) from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)
