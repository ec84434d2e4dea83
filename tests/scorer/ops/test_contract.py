"""One contract over every score op in the registry: same typed result, stats it owns, a reason."""

import math

import pytest

from vidsift.ops import Decision, FrameRequest, op_class, op_names
from vidsift_scorer import SPEC
from vidsift_scorer.ops.frame_filter import FrameScoreFilter

SCORE_OPS = [n for n in op_names() if op_class(n).stage == SPEC.name]


def test_every_score_stage_op_is_a_frame_score_filter():
    assert SCORE_OPS  # the scorer registers its filters
    assert all(issubclass(op_class(n), FrameScoreFilter) for n in SCORE_OPS)


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
