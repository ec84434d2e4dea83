from fractions import Fraction

import pytest

from vidsift_resizer.command import OutputSpec, SpanPlan
from vidsift_resizer.encode import probe_output, render_checked
from vidsift_resizer.errors import ResizeError

SPEC = OutputSpec(key="64x64", width=64, height=64, chain="scale=64:64,setsar=1,format=yuv420p", fps=None,
                  audio=False, crf=18, preset="veryfast")
GOOD = SpanPlan(select="between(n,4,23)", frames=20, rate=Fraction(25))
SHORT = SpanPlan(select="between(n,4,13)", frames=20, rate=Fraction(25))  # a plan that loses frames


def test_a_plan_that_loses_frames_is_followed_by_the_next(video, tmp_path):
    src = str(video("pyscenedetect__delayed_start.mp4"))
    out = str(tmp_path / "o.mp4")
    assert render_checked(src, [SHORT, GOOD], [SPEC], [out], has_audio=False) is GOOD
    assert probe_output(out) == (64, 64, 20)


def test_no_exact_plan_is_an_error(video, tmp_path):
    with pytest.raises(ResizeError, match="64x64: got 64x64 with 10 frames, want 64x64 with 20"):
        render_checked(str(video("pyscenedetect__delayed_start.mp4")), [SHORT], [SPEC], [str(tmp_path / "o.mp4")],
                       has_audio=False)


def test_ffmpeg_error_carries_stderr(video, tmp_path):
    bad = OutputSpec(**{**SPEC.__dict__, "chain": "scale=64:64,nosuchfilter"})
    with pytest.raises(ResizeError, match="ffmpeg failed .*nosuchfilter"):
        render_checked(str(video("pyscenedetect__delayed_start.mp4")), [GOOD], [bad], [str(tmp_path / "o.mp4")],
                       has_audio=False)


def test_decoder_errors_after_a_seek_fall_back_to_decoding_from_the_start(video, tmp_path):
    """cockatoo.mp4's key frame at 3.8 s is no clean entry point: seeking there decodes garbage."""
    from vidsift_resizer.probe import probe_source
    from vidsift_resizer.span import plans

    src = str(video("imageio__cockatoo.mp4"))
    tried = plans(probe_source(src), 93, 133, 280, 20.0, 4.65)
    assert tried[0].seek == 3.8
    used = render_checked(src, tried, [SPEC], [str(tmp_path / "o.mp4")], has_audio=False)
    assert used is tried[1] and used.seek is None
