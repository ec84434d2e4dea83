"""One contract over every score op in the registry: same typed result, stats it owns, a reason."""

import math

import pytest

from vidsift.ops import OPS, Decision, FrameRequest, op_class
from vidsift_scorer.ops.frame_filter import FrameScoreFilter

SCORE_OPS = sorted(n for n in OPS if OPS[n].startswith("vidsift_scorer."))


def test_the_three_model_filters_are_registered():
    assert SCORE_OPS == ["video_aesthetics_filter", "video_nsfw_filter", "video_watermark_filter"]


@pytest.mark.parametrize("name", SCORE_OPS)
def test_contract(name):
    cls = op_class(name)
    assert issubclass(cls, FrameScoreFilter) and cls.stage == "score" and cls.name == name
    op = cls(cls.Params())
    assert cls.stat_keys == (cls.stat_key,)
    (req,) = cls.frame_requests(op.params)
    assert isinstance(req, FrameRequest) and req.method in ("all_keyframes", "uniform")
    kind, options = op.backend_spec()  # pure: names a backend, loads nothing
    assert isinstance(kind, str) and isinstance(options, dict)
    seen = set()
    for value in (0.0, 0.3, 0.45, 0.55, 0.7, 1.0, float("nan"), None):
        d = op.decide({cls.stat_key: value, "other_stat": 1})
        assert isinstance(d, Decision) and d.op == name and isinstance(d.keep, bool)
        assert set(d.stats) == {cls.stat_key}  # judges only what it owns
        assert (d.reason is None) == d.keep and (d.keep or cls.stat_key in d.reason)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            assert not d.keep
        seen.add(d.keep)
    assert seen == {True, False}
    assert not op.decide({}).keep  # a missing stat is never a silent keep
    with pytest.raises(ValueError):
        cls.Params(no_such_parameter=1)
