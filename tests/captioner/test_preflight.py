"""Worker start: an in-process caption model is loaded before the worker is ready."""

from __future__ import annotations

import pytest

from vidsift_captioner import backends
from vidsift_captioner.stage import caption_clips, preflight


def _recipe(tmp_path, block: str):
    path = tmp_path / "recipe.yaml"
    path.write_text(f"process:\n  - video_captioning_mapper: {block}\n")
    return str(path)


def test_threads_pool_loads_the_model_at_start(tiny_vlm, tmp_path, monkeypatch, make_clips, context):
    block = f"{{backend: hf, model: '{tiny_vlm}', frame_num: 2, max_tokens: 2}}"
    monkeypatch.setenv("VIDSIFT_CAPTIONER_RECIPE", _recipe(tmp_path, block))
    preflight("threads")
    assert [p.model for p in backends._LOADED] == [str(tiny_vlm)]
    ctx = context(f"- video_captioning_mapper: {block}\n")
    caption_clips(make_clips(1, frame_num=2), ctx)
    assert "model_load" not in [e[0] for e in ctx.events]  # the task found it loaded


def test_prefork_children_load_it_as_they_start(tiny_vlm, tmp_path):
    from celery.signals import worker_process_init

    recipe = _recipe(tmp_path, f"{{backend: hf, model: '{tiny_vlm}', frame_num: 2}}")
    before = list(worker_process_init.receivers)
    try:
        preflight("prefork", recipe)
        assert not backends._LOADED  # not in the parent: CUDA does not survive a fork
        worker_process_init.send(sender=None)
        assert [p.model for p in backends._LOADED] == [str(tiny_vlm)]
    finally:
        worker_process_init.receivers[:] = before


def test_a_model_that_cannot_load_stops_the_worker(tmp_path):
    recipe = _recipe(tmp_path, f"{{backend: hf, model: '{tmp_path / 'missing'}'}}")
    with pytest.raises(SystemExit, match="vidsift captioner: cannot load hf model .*missing"):
        preflight("threads", recipe)


def test_nothing_to_load_for_api_captioners_or_without_a_recipe(tmp_path, monkeypatch):
    monkeypatch.delenv("VIDSIFT_CAPTIONER_RECIPE", raising=False)
    preflight("threads")
    # a vLLM server still starting must not fail the worker: API captioners are not called at start
    preflight("threads", _recipe(tmp_path, "{backend: openai, model: m, base_url: 'http://127.0.0.1:9/v1'}"))
    assert not backends._LOADED
