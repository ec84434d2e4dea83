"""video_validity_filter: the reference scheme's op — drop clips that cannot be decoded.

A source that cannot be opened, has no video stream or no decodable frame is rejected as an input
(with its error type) before any clip exists; a clip is valid when it holds at least one decoded frame.
"""

from __future__ import annotations

from vidsift.ops.base import Decision, Filter


class VideoValidityFilter(Filter):
    name = "video_validity_filter"
    stage = "split"
    stat_keys = ("video_frames",)

    def decide(self, stats):
        frames = stats.get("video_frames")
        keep = bool(frames) and frames > 0
        return Decision(self.name, keep, {"video_frames": frames},
                        None if keep else "clip has no decodable frames")
