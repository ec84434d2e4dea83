"""One contract test over the op registry: every op imports cheaply, validates its parameters and
(for filters) returns the same typed Decision from stats alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vidsift.ops import Decision, Filter, Mapper, op_class, op_names
from vidsift.ops.base import STAGES, FrameMeasure, FrameRequest, MeasuredFilter, SpanMapper
from vidsift.recipe import load_recipe

PROFILE_PARAMS = {s.name: s.params for p in ("default", "local") for s in load_recipe(p).ops}


def _params(name):
    cls = op_class(name)
    return PROFILE_PARAMS.get(name) or cls.Params()


@pytest.mark.parametrize("name", op_names())
def test_op_shape(name):
    cls = op_class(name)
    assert cls.name == name
    assert cls.stage in STAGES
    assert issubclass(cls, (Filter, Mapper))
    params = _params(name)
    assert isinstance(params, cls.Params)
    for req in cls.frame_requests(params):
        assert isinstance(req, FrameRequest) and req.frame_num >= 1


@pytest.mark.parametrize("name", sorted(n for n in op_names() if issubclass(op_class(n), Filter)))
def test_filter_decides_from_stats_alone(name):
    cls = op_class(name)
    op = cls(_params(name))
    assert cls.stat_keys
    missing = op.decide({})
    assert isinstance(missing, Decision) and missing.op == name
    assert missing.keep is False and missing.reason  # no stats: never silently kept
    assert set(missing.stats) <= set(cls.stat_keys)


def test_op_modules_import_without_model_libraries():
    """The splitter image has no torch: every op module must import without it."""
    code = ("import sys; from vidsift.ops import op_class, op_names; [op_class(n) for n in op_names()]; "
            "bad = [m for m in ('torch', 'transformers', 'onnxruntime', 'rapidocr_onnxruntime') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", sorted(n for n in op_names() if issubclass(op_class(n), MeasuredFilter)))
def test_a_measured_filter_measures_its_own_stats_from_frames(name):
    """Every split-stage measure: frames in (any BGR uint8 size), only its own stat keys out."""
    import numpy as np

    op = op_class(name)(_params(name))
    m = op.measure(25.0)
    assert isinstance(m, FrameMeasure)
    rng = np.random.default_rng(0)
    for rel in range(30):
        m.add(rel, rng.integers(0, 255, (72, 96, 3), dtype=np.uint8))
    stats = m.close(30)
    assert stats and set(stats) <= set(op.stat_keys)
    assert isinstance(op.decide(stats), Decision)


@pytest.mark.parametrize("name", sorted(n for n in op_names() if issubclass(op_class(n), SpanMapper)))
def test_a_span_mapper_sets_only_settings_of_the_decode_pass(name):
    import dataclasses

    from vidsift.stages import first_stage
    from vidsift_splitter.scan import ScanConfig  # the decode pass the span mappers configure

    cls = op_class(name)
    assert cls.stage == first_stage()
    options = cls(_params(name)).span_options()
    assert options and set(options) <= {f.name for f in dataclasses.fields(ScanConfig)}


# The stats the split pass gives every clip itself (stage._stats): filters of them need no measure.
PASS_STATS = {"video_duration", "video_frames", "video_width", "video_height"}


@pytest.mark.parametrize("name", op_names())
def test_every_op_computes_through_one_contract(name):
    """Each op is one kind its stage knows how to feed: a span maker or a measure of the split pass,
    a model over sample frames, a materialiser, a captioner — or a filter of the pass's own stats."""
    from vidsift.ops.base import Captioner, FrameModelFilter, Materialiser
    from vidsift.stages import first_stage

    cls = op_class(name)
    kinds = [k for k in (SpanMapper, MeasuredFilter, FrameModelFilter, Materialiser, Captioner) if issubclass(cls, k)]
    if not kinds:
        assert issubclass(cls, Filter) and cls.stage == first_stage() and set(cls.stat_keys) <= PASS_STATS
    else:
        assert len(kinds) == 1
    if issubclass(cls, Captioner):
        assert cls(_params(name)).frame_format in ("rgb", "jpeg")


@pytest.mark.parametrize("name", sorted(n for n in op_names() if issubclass(op_class(n), Filter)))
def test_a_filters_bounds_are_its_own_parameters_on_its_own_stats(name):
    op = op_class(name)(_params(name))
    params = op.params.model_dump()
    for stat, kind, param, value in op.bounds():
        assert stat in op.stat_keys and kind in ("min", "max") and params[param] == value
