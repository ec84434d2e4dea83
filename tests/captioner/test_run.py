"""A real embedded run (split, filters, caption) with a captioner added the way `vidsift run` adds one."""

from __future__ import annotations

import json

from vidsift.config import Settings
from vidsift.recipe import load_recipe
from vidsift.runner import run_embedded
from vidsift_captioner.accounting import caption_totals
from vidsift_captioner.cli import with_captioner

from .conftest import VIDEO

# The reference scheme's split, without model filters: the captioner sees every 1-3 s clip.
SPLIT_ONLY = """
- video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
- video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
- video_duration_filter: {min_duration: 1, max_duration: 3}
"""


def test_embedded_run_captions_every_accepted_clip(video, openai_server, tmp_path):
    recipe = with_captioner(load_recipe(SPLIT_ONLY), caption_backend="openai", caption_model="gpt-4o-mini",
                            caption_base_url=openai_server.base_url, caption_frames=2)
    run_embedded([video(VIDEO).as_uri()], tmp_path / "out", recipe, Settings(), progress=False)
    lines = [json.loads(l) for l in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert len(lines) >= 3  # several scenes, each cut into 1-3 s clips
    assert all(l["text"].startswith("A brown dog") for l in lines)
    assert len(openai_server.requests) == len(lines)
    assert all(len(r["body"]["messages"][0]["content"]) == 3 for r in openai_server.requests)
    assert caption_totals(lines)["prompt_tokens"] == 100 * len(lines)


def test_a_table_row_s_caption_is_kept_beside_the_generated_one(video, openai_server, tmp_path):
    recipe = with_captioner(load_recipe(SPLIT_ONLY), caption_backend="openai", caption_model="gpt-4o-mini",
                            caption_base_url=openai_server.base_url, caption_frames=2)
    uri = video(VIDEO).as_uri()
    run_embedded([uri], tmp_path / "out", recipe, Settings(), progress=False,
                 meta={uri: {"caption": "row caption", "license": "cc-by"}})
    lines = [json.loads(l) for l in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert len(lines) >= 3
    assert all(l["text"].startswith("A brown dog") for l in lines)  # the captioner's
    assert all(l["meta"] == {"caption": "row caption", "license": "cc-by"} for l in lines)  # the row's, beside it
