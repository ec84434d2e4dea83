"""Thresholds, reduce modes and any/all against hand-computed values."""

import numpy as np
import pytest
from pydantic import ValidationError

from vidsift_scorer.ops.aesthetics import DEFAULT_MODEL, VideoAestheticsFilter
from vidsift_scorer.ops.frame_filter import reduce
from vidsift_scorer.ops.nsfw import VideoNSFWFilter
from vidsift_scorer.ops.watermark import VideoWatermarkFilter


def _op(cls, **params):
    return cls(cls.Params(**params))


@pytest.mark.parametrize("mode, want", [("avg", 0.4), ("max", 0.7), ("min", 0.1)])
def test_reduce_modes(mode, want):
    scores = np.array([0.1, 0.4, 0.7])
    assert reduce(scores, mode) == pytest.approx(want)
    op = _op(VideoNSFWFilter, reduce_mode=mode)
    assert op.stats_from_scores(scores) == {"video_nsfw_score": pytest.approx(want)}


def test_reduce_mode_decides_the_outcome():
    scores = np.array([0.1, 0.2, 0.9])  # one bad frame
    for mode, keep in (("avg", True), ("max", False), ("min", True)):
        op = _op(VideoNSFWFilter, score_threshold=0.45, reduce_mode=mode)
        assert op.decide(op.stats_from_scores(scores)).keep is keep, mode


def test_legacy_thresholds_are_strict_upper_bounds():
    nsfw = _op(VideoNSFWFilter, score_threshold=0.4)
    assert nsfw.decide({"video_nsfw_score": 0.3999}).keep
    d = nsfw.decide({"video_nsfw_score": 0.4})
    assert not d.keep and d.reason == "video_nsfw_score 0.4 >= score_threshold 0.4"
    wm = _op(VideoWatermarkFilter, prob_threshold=0.6)
    assert wm.decide({"video_watermark_prob": 0.59}).keep
    assert not wm.decide({"video_watermark_prob": 0.6}).keep


def test_ranges_are_closed_intervals():
    aes = _op(VideoAestheticsFilter, min_score=0.4, max_score=1.0)
    assert aes.decide({"video_frames_aesthetics_score": 0.4}).keep
    d = aes.decide({"video_frames_aesthetics_score": 0.39})
    assert not d.keep and "< min 0.4" in d.reason
    nsfw = _op(VideoNSFWFilter, min_score=0.0, max_score=0.5)
    assert nsfw.decide({"video_nsfw_score": 0.5}).keep and not nsfw.decide({"video_nsfw_score": 0.51}).keep


def test_defaults_are_data_juicers():
    assert _op(VideoWatermarkFilter).params.prob_threshold == 0.8
    nsfw = _op(VideoNSFWFilter).params
    assert (nsfw.score_threshold, nsfw.min_score, nsfw.max_score) == (None, 0.0, 0.5)
    aes = _op(VideoAestheticsFilter, hf_scorer_model="").params
    assert aes.hf_scorer_model == DEFAULT_MODEL and aes.frame_sampling_method == "uniform" and aes.frame_num == 3
    assert _op(VideoNSFWFilter).params.frame_sampling_method == "all_keyframes"


@pytest.mark.parametrize("cls, legacy", [(VideoNSFWFilter, "score_threshold"), (VideoWatermarkFilter, "prob_threshold")])
def test_legacy_and_range_together_are_refused(cls, legacy):
    with pytest.raises(ValidationError, match="not both"):
        cls.Params(**{legacy: 0.4, "max_score": 0.5})


@pytest.mark.parametrize("value", [0.2, 0.45, 0.9])
def test_any_and_all_agree_for_one_video_per_clip(value):
    # a vidsift clip holds one video, so data-juicer's any/all over videos cannot differ
    for cls, key, params in ((VideoNSFWFilter, "video_nsfw_score", {"score_threshold": 0.4}),
                             (VideoWatermarkFilter, "video_watermark_prob", {"prob_threshold": 0.6}),
                             (VideoAestheticsFilter, "video_frames_aesthetics_score", {})):
        a = _op(cls, any_or_all="any", **params).decide({key: value})
        b = _op(cls, any_or_all="all", **params).decide({key: value})
        assert a == b


def test_bad_parameter_values_are_refused():
    with pytest.raises(ValidationError):
        VideoNSFWFilter.Params(reduce_mode="median")
    with pytest.raises(ValidationError):
        VideoWatermarkFilter.Params(frame_sampling_method="all_keyframe")
    with pytest.raises(ValidationError):
        VideoNSFWFilter.Params(backend="ocr")


# data-juicer 1.6.1 semantics. Its Filter.get_keep_boolean(val, lo, hi) with the default closed
# intervals is `(lo is None or val >= lo) and (hi is None or val <= hi)`; its watermark op calls it
# with (prob, None, prob_threshold), its NSFW and aesthetics ops with (score, min_score, max_score).
DJ = {"semantics": "data-juicer-1.6.1"}


def _dj_keep(val, lo, hi):
    return (lo is None or val >= lo) and (hi is None or val <= hi)


@pytest.mark.parametrize("prob", [0.0, 0.59, 0.6, 0.6000001, 1.0])
def test_data_juicer_watermark_keeps_at_most_prob_threshold(prob):
    op = _op(VideoWatermarkFilter, prob_threshold=0.6, **DJ)
    d = op.decide({"video_watermark_prob": prob})
    assert d.keep is _dj_keep(prob, None, 0.6)
    if not d.keep:
        assert d.reason == f"video_watermark_prob {prob:.4g} > prob_threshold 0.6"
    # vidsift's own rule differs exactly at the threshold
    assert _op(VideoWatermarkFilter, prob_threshold=0.6).decide({"video_watermark_prob": prob}).keep is (prob < 0.6)
    assert _op(VideoWatermarkFilter, **DJ).params.prob_threshold == 0.8  # its default


@pytest.mark.parametrize("score", [0.0, 0.5, 0.51])
def test_data_juicer_nsfw_and_aesthetics_are_closed_ranges(score):
    nsfw = _op(VideoNSFWFilter, **DJ)
    assert (nsfw.params.min_score, nsfw.params.max_score) == (0.0, 0.5)
    assert nsfw.decide({"video_nsfw_score": score}).keep is _dj_keep(score, 0.0, 0.5)
    aes = _op(VideoAestheticsFilter, min_score=0.5, max_score=1.0, **DJ)
    assert aes.decide({"video_frames_aesthetics_score": score}).keep is _dj_keep(score, 0.5, 1.0)


@pytest.mark.parametrize("cls, params, missing", [
    (VideoNSFWFilter, {"score_threshold": 0.4}, "score_threshold"),
    (VideoWatermarkFilter, {"max_score": 0.5}, "max_score"),
    (VideoWatermarkFilter, {"min_score": 0.1, "max_score": 0.5}, "max_score/min_score"),
])
def test_data_juicer_semantics_refuses_keys_its_op_lacks(cls, params, missing):
    # data-juicer 1.6.1 would ignore these without a word and apply its default limit instead
    with pytest.raises(ValidationError, match=f"has no {missing} .*ignore it"):
        cls.Params(**params, **DJ)
    cls.Params(**params)  # vidsift semantics takes them


def test_data_juicer_semantics_runs_the_torch_models_in_fp32():
    for cls in (VideoAestheticsFilter, VideoNSFWFilter, VideoWatermarkFilter):
        assert _op(cls, **DJ).backend_spec()[1]["dtype"] == "float32"
        assert "dtype" not in _op(cls).backend_spec()[1]  # the worker's VIDSIFT_SCORER_DTYPE


def test_aesthetics_divisor_laion_heads_only_under_data_juicer():
    laion, local = DEFAULT_MODEL, "/models/my-head"
    def div(**p):
        return _op(VideoAestheticsFilter, **p).backend_spec()[1]["divisor"]
    assert div(hf_scorer_model=laion) == div(hf_scorer_model=local) == 10.0  # the backend's head is LAION's
    assert div(hf_scorer_model=laion, **DJ) == 10.0
    assert div(hf_scorer_model=local, **DJ) == 1.0  # its rule: "aesthetics-predictor" in the name
    assert div(hf_scorer_model=local, score_divisor=10, **DJ) == 10.0
    assert div(hf_scorer_model=laion, score_divisor=1) == 1.0
