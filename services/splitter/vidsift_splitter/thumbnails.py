"""Thumbnails of rejected clips, so the report can show what each filter threw away.

A clip rejected in the split stage keeps no sample frame (only survivors' frames are stored), so the
splitter keeps one small thumbnail per clip while the clip is open (a frame half a second in: past a
cut's fade, still inside a short clip) and, per source or range task, stores a bounded sample of them:
for each (op, reason class), the ``PER_CLASS`` clips with the smallest clip ids. A clip id is already
a hash, so that is a uniform sample, and it depends only on the clips, never on their order or on
timing: a redelivered task keeps the same clips and writes the same objects (``put_bytes_once``).
An hour-long source in 300 s range tasks stores at most ranges × classes × ``PER_CLASS`` thumbnails.

Keys: ``thumbs/{source_id}/{clip_id}.jpg`` (jobs.JobStore.save_thumbnail); the report finds a
rejected clip's thumbnail by its source id and clip id.
"""

from __future__ import annotations

import heapq

import numpy as np

from vidsift.jobs import JobStore
from vidsift.outcomes import reason_class

THUMB_WIDTH = 160
JPEG_QUALITY = 80  # ~5 kB at 160x90
PER_CLASS = 24  # thumbnails kept per (op, reason class) per source or range task


def thumbnail(bgr: np.ndarray, width: int = THUMB_WIDTH) -> np.ndarray:
    """A copy of the frame THUMB_WIDTH pixels wide (height in proportion, at least 1)."""
    import cv2

    h, w = bgr.shape[:2]
    if w <= width:
        return bgr.copy()
    return cv2.resize(bgr, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


class RejectedSample:
    """The ``per_class`` smallest clip ids per (op, reason class), with their thumbnails, in memory."""

    def __init__(self, per_class: int = PER_CLASS):
        self.per_class = per_class
        # (op, reason class) -> heap of (negated id, id, thumbnail): the root is the largest id kept
        self._heaps: dict[tuple[str, str], list] = {}

    def offer(self, clip_id: str, op: str | None, reason: str | None, thumb: np.ndarray | None) -> None:
        if thumb is None or self.per_class <= 0:
            return
        heap = self._heaps.setdefault((op or "", reason_class(reason)), [])
        if any(cid == clip_id for _, cid, _ in heap):
            return
        item = (_neg(clip_id), clip_id, thumb)
        if len(heap) < self.per_class:
            heapq.heappush(heap, item)
        elif clip_id < heap[0][1]:
            heapq.heapreplace(heap, item)

    def kept(self) -> list[str]:
        return sorted(cid for heap in self._heaps.values() for _, cid, _ in heap)

    def save(self, jobs: JobStore, source_id: str) -> int:
        """Store the kept thumbnails (idempotent); returns how many."""
        n = 0
        for heap in self._heaps.values():
            for _, cid, thumb in heap:
                jobs.save_thumbnail(source_id, cid, _jpeg(thumb))
                n += 1
        return n


def _jpeg(bgr: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _neg(clip_id: str) -> tuple[int, ...]:
    """A key that sorts clip ids in reverse, so heapq's min-heap keeps the largest at its root."""
    return tuple(-ord(ch) for ch in clip_id)
