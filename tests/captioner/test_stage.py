"""The caption stage end to end: stored frames of a real video -> backend -> records."""

from __future__ import annotations

import base64

import pytest

from vidsift.pipeline import run_stage
from vidsift_captioner.accounting import caption_totals
from vidsift_captioner.stage import caption_clips

from .openai_server import completion
from .tiny_vlm import FIRST_TOKEN_TEXT


def _records(jobs):
    return {r["line"]["clip"]["id"]: r for r in jobs.records()}


def test_hf_caption_written_into_accepted_records(tiny_vlm, make_clips, context):
    ctx = context(f"- video_captioning_mapper: {{backend: hf, model: '{tiny_vlm}', frame_num: 3, max_tokens: 6,"
                  f" batch_size: 2, price_per_1k_output_tokens: 1.0}}\n")
    clips = make_clips(3, frame_num=3)
    out = caption_clips(clips, ctx)
    assert [c.text for c in out] == [FIRST_TOKEN_TEXT * 6] * 3
    for clip in out:
        ctx.jobs.accept(clip)
    records = _records(ctx.jobs)
    assert set(records) == {c.id for c in clips}
    line = records[clips[0].id]["line"]
    assert records[clips[0].id]["status"] == "accepted" and line["text"] == FIRST_TOKEN_TEXT * 6
    usage = line["clip"]["caption"]
    assert usage["model"] == str(tiny_vlm) and usage["completion_tokens"] == 6 and usage["prompt_tokens"] > 3
    assert usage["cost_usd"] == pytest.approx(0.006)
    assert [e[0] for e in ctx.events] == ["model_load"] + ["op", "captioned"] * 3


def test_hf_empty_caption_is_a_rejected_record(tiny_vlm_eos, make_clips, context):
    ctx = context(f"- video_captioning_mapper: {{backend: hf, model: '{tiny_vlm_eos}', frame_num: 2}}\n")
    [clip] = make_clips(1, frame_num=2)
    assert run_stage("caption", clip, ctx) == []
    rec = _records(ctx.jobs)[clip.id]
    assert rec["status"] == "rejected"
    assert (rec["line"]["stage"], rec["line"]["op"], rec["line"]["reason"]) == (
        "caption", "video_captioning_mapper", "empty caption")
    assert rec["line"]["text"] == "" and rec["line"]["clip"]["caption"]["completion_tokens"] == 1


def test_openai_run_stage_accepts_and_rejects_refusals_with_totals(openai_server, make_clips, context):
    openai_server.script = [
        (200, {}, completion("The video shows a dog on a beach, camera panning left.", 1200, 30)),
        (200, {}, completion("I'm sorry, but I can't help with that.", 1100, 12)),
    ]
    ctx = context(f"- video_captioning_mapper: {{backend: openai, model: gpt-4o-mini, base_url: '{openai_server.base_url}',"
                  " frame_num: 2, price_per_1k_input_tokens: 0.00015, price_per_1k_output_tokens: 0.0006}\n")
    first, second = make_clips(2, frame_num=2)
    assert run_stage("caption", first, ctx) == []  # last stage: written as an accepted record
    assert run_stage("caption", second, ctx) == []
    parts = openai_server.requests[0]["body"]["messages"][0]["content"]
    stored = [ctx.jobs.read_uri(f.uri) for f in first.frames]
    assert [base64.b64decode(p["image_url"]["url"].split(",", 1)[1]) for p in parts[1:]] == stored
    records = _records(ctx.jobs)
    ok, refused = records[first.id], records[second.id]
    assert ok["status"] == "accepted" and ok["line"]["text"] == "A dog on a beach, camera panning left."
    assert refused["status"] == "rejected" and refused["line"]["reason"].startswith("caption refused")
    totals = caption_totals(r["line"] for r in records.values())
    assert (totals["clips"], totals["prompt_tokens"], totals["completion_tokens"]) == (2, 2300, 42)
    assert totals["cost_usd"] == pytest.approx((2300 * 0.00015 + 42 * 0.0006) / 1000)
    assert run_stage("caption", first, ctx) == [] and len(openai_server.requests) == 2  # redelivery: no new call


def test_the_default_profile_captions_at_the_workers_server(openai_server, make_clips, context):
    """The default profile names backend and model only; the worker's VIDSIFT_CAPTION_BASE_URL says
    where they are served (the chart's vLLM), so the recipe's id is the same wherever it runs."""
    from dataclasses import replace

    openai_server.script = [(200, {}, completion("A dog on a beach.", 700, 9))]
    ctx = context("default")
    ctx.settings = replace(ctx.settings, caption_base_url=openai_server.base_url)
    (clip,) = make_clips(1, frame_num=4)
    assert run_stage("caption", clip, ctx) == []
    (request,) = openai_server.requests
    assert request["body"]["model"] == "openbmb/MiniCPM-V-2_6"
    assert len(request["body"]["messages"][0]["content"]) == 1 + 4  # the prompt and the frames
    assert _records(ctx.jobs)[clip.id]["line"]["text"] == "A dog on a beach."


def test_concurrent_clips_share_hf_batches(tiny_vlm, make_clips, context):
    """Threads of one worker (Celery --pool threads) captioning one clip each share forward passes."""
    import threading

    ctx = context(f"- video_captioning_mapper: {{backend: hf, model: '{tiny_vlm}', frame_num: 2, max_tokens: 4}}\n")
    clips = make_clips(6, frame_num=2)
    [op] = ctx.ops("caption")
    op.caption([])  # load the model first, so the threads below only caption
    results, barrier = {}, threading.Barrier(len(clips))

    def work(clip):
        barrier.wait()
        results[clip.id] = caption_clips([clip], ctx)

    threads = [threading.Thread(target=work, args=(c,)) for c in clips]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(out[0].text == FIRST_TOKEN_TEXT * 4 for out in results.values()) and len(results) == 6
    assert op._run.calls < 1 + len(clips)  # fewer forward passes than clips (the first load call included)
