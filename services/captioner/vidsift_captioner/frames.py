"""Sample frames as JPEG bytes, for backends that send images over the network.

The splitter stores sample frames as JPEGs; an API backend sends JPEGs. Passing the stored bytes
through saves a decode and an encode per frame (~10 ms each on a busy CPU), which is what keeps a
fast server fed. Frames missing from storage are decoded from the source and encoded, as in
``vidsift.frames.load_frames``.
"""

from __future__ import annotations

from vidsift.frames import clip_positions, decode_source_frames, encode_jpeg
from vidsift.ops.base import FrameRequest
from vidsift.refs import ClipRef


def load_jpegs(clip: ClipRef, request: FrameRequest, read_bytes, settings=None) -> list[bytes]:
    wanted = [clip.start_frame + p for p in clip_positions(clip, request)]
    stored = {f.index: f.uri for f in clip.frames}
    missing = sorted({i for i in wanted if i not in stored})
    decoded = decode_source_frames(clip, missing, settings) if missing else {}
    return [read_bytes(stored[i]) if i in stored else encode_jpeg(decoded[i][..., ::-1]) for i in wanted]
