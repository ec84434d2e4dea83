"""video_captioning_mapper: parameters through the recipe, frame requests, clean-up, refusals, cost."""

from __future__ import annotations

import pytest

from vidsift.ops import FrameRequest, op_class
from vidsift.recipe import RecipeError, load_recipe
from vidsift_captioner.backends import Caption
from vidsift_captioner.ops.captioning import (DEFAULT_PROMPT, VideoCaptioningMapper, clean_caption,
                                              rejection_reason)


def test_registered_with_the_caption_stage_and_uniform_frames():
    cls = op_class("video_captioning_mapper")
    assert cls is VideoCaptioningMapper and cls.stage == "caption"
    spec = load_recipe("- video_captioning_mapper: {backend: openai, model: gpt-4o-mini, frame_num: 6}\n").ops[0]
    assert cls.frame_requests(spec.params) == (FrameRequest("uniform", 6),)


def test_default_profile_captions_with_minicpm_as_the_reference_scheme_through_a_server():
    spec = load_recipe("default").find("video_captioning_mapper")
    assert (spec.params.backend, spec.params.model, spec.params.base_url) == (
        "openai", "openbmb/MiniCPM-V-2_6", None)  # where it is served is the worker's setting


def test_base_url_from_the_recipe_else_the_worker_else_openai():
    from vidsift.config import Settings
    from vidsift_captioner.ops.captioning import with_base_url

    def op(extra=""):
        return load_recipe(
            "- video_captioning_mapper: {backend: openai, model: m" + extra + "}\n").ops[0].params
    worker = Settings(caption_base_url="http://vllm:8000/v1")
    assert with_base_url(op(), worker).base_url == "http://vllm:8000/v1"
    assert with_base_url(op(", base_url: 'http://mine/v1'"), worker).base_url == "http://mine/v1"
    assert with_base_url(op(), Settings()).base_url == "https://api.openai.com/v1"
    assert op().base_url is None  # the recipe itself (and so its id) does not change


def test_local_profile_has_no_captioner():
    assert load_recipe("local").find("video_captioning_mapper") is None


@pytest.mark.parametrize("params, message", [
    ("{model: m}", "'backend'"),
    ("{backend: gemini, model: m}", "'backend'"),
    ("{backend: hf, model: m, frame_num: 0}", "'frame_num'"),
    ("{backend: openai, model: m, api_key: sk-x}", "unknown parameter 'api_key'"),
])
def test_bad_parameters_are_recipe_errors(params, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe(f"- video_captioning_mapper: {params}\n")


def test_default_prompt_asks_for_what_text_to_video_needs():
    for need in ("subject", "motion", "scene", "camera movement", "style", "one paragraph", "the video shows"):
        assert need in DEFAULT_PROMPT.lower()


@pytest.mark.parametrize("raw, clean", [
    ("The video shows a dog running.", "A dog running."),
    ("In this clip depicts a red car", "A red car"),
    ("A cat sleeps.\n\nThe camera is static.", "A cat sleeps. The camera is static."),
    ("A sign reads 'the video shows'.", "A sign reads 'the video shows'."),
])
def test_clean_caption(raw, clean):
    assert clean_caption(raw) == clean


@pytest.mark.parametrize("caption, reason", [
    (Caption("A dog runs.", 10, 5), None),
    (Caption("A man says sorry to a dog.", 10, 5), None),
    (Caption("   ", 10, 1), "empty caption"),
    (Caption("I'm sorry, but I can't help with that.", 10, 9), "caption refused"),
    (Caption("I cannot describe this video.", 10, 9), "caption refused"),
    (Caption("", 10, 0, refusal="content filter"), "caption refused: content filter"),
])
def test_rejection_reason(caption, reason):
    got = rejection_reason(caption)
    assert got == reason if reason is None else got.startswith(reason)


def test_usage_prices_tokens_from_the_recipe():
    spec = load_recipe(
        "- video_captioning_mapper: {backend: openai, model: gpt-4o-mini,"
        " price_per_1k_input_tokens: 0.00015, price_per_1k_output_tokens: 0.0006}\n").ops[0]
    usage = VideoCaptioningMapper(spec.params).usage(Caption("x", 3000, 100))
    assert usage == {"backend": "openai", "model": "gpt-4o-mini", "prompt_tokens": 3000,
                     "completion_tokens": 100, "cost_usd": pytest.approx(0.00051)}
