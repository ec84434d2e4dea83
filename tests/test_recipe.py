"""The recipe: data-juicer YAML, the reference scheme's blocks load unchanged, errors name op and parameter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vidsift.recipe import RecipeError, load_recipe, parse_recipe, recipe_from_json

SCHEME = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "CUPES-IAIS-scheme.md"


def scheme_blocks() -> list[str]:
    if not SCHEME.exists():
        pytest.skip("reference scheme not found")
    return re.findall(r"```yaml\n(.*?)```", SCHEME.read_text(), re.S)


def test_every_reference_scheme_yaml_block_loads_unchanged():
    blocks = scheme_blocks()
    assert len(blocks) == 4
    names = []
    for block in blocks:
        recipe = load_recipe(block)
        names += [s.name for s in recipe.ops]
    assert "video_split_by_scene_mapper" in names and "video_motion_score_filter" in names
    split = load_recipe(blocks[-1]).find("video_split_by_scene_mapper").params
    assert (split.detector, split.threshold, split.min_scene_len) == ("ContentDetector", 27.0, 10)


@pytest.mark.parametrize("profile", ["local", "default"])
def test_shipped_profiles_load_and_split_before_filtering(profile):
    recipe = load_recipe(profile)
    names = [s.name for s in recipe.ops]
    assert names[:2] == ["video_split_by_scene_mapper", "video_split_by_duration_mapper"]
    dur = recipe.find("video_duration_filter").params
    assert (dur.min_duration, dur.max_duration) == (1, 3)
    motion = recipe.find("video_motion_score_filter").params
    assert (motion.min_score, motion.sampling_fps) == (0.25, 2)


@pytest.mark.parametrize("text,needle", [
    ("process:\n  - video_no_such_filter: {}\n", "unknown op 'video_no_such_filter'"),
    ("process:\n  - video_duration_filter: {min_duraton: 1}\n", "video_duration_filter: unknown parameter 'min_duraton'"),
    ("process:\n  - video_duration_filter: {min_duration: abc}\n", "video_duration_filter: parameter 'min_duration'"),
    ("process:\n  - video_split_by_scene_mapper: {detector: FooDetector}\n", "parameter 'detector'"),
    ("process:\n  - video_duration_filter: {any_or_all: some}\n", "parameter 'any_or_all'"),
    ("project_nam: x\nprocess: []\n", "unknown top-level recipe key"),
    ("process:\n  - video_duration_filter: {}\n  - video_split_by_scene_mapper: {}\n", "split mappers must come before filters"),
    ("process: [\n", "not valid YAML"),
])
def test_bad_recipes_fail_at_load_naming_op_and_parameter(text, needle):
    with pytest.raises(RecipeError, match=re.escape(needle)):
        load_recipe(text)


def test_recipe_id_is_stable_and_canonical():
    a = load_recipe("- video_duration_filter: {min_duration: 1}\n")
    b = load_recipe("process:\n  - video_duration_filter:\n      min_duration: 1.0\n      max_duration: 1.7976931348623157e+308\n")
    assert a.id == b.id
    assert recipe_from_json(a.to_json()).id == a.id
    assert load_recipe("- video_duration_filter: {min_duration: 2}\n").id != a.id


def test_recipe_without_split_ops_and_bare_op_names():
    recipe = parse_recipe(["video_validity_filter", {"video_resolution_filter": {"min_width": 256}}])
    assert [s.stage for s in recipe.ops] == ["split", "split"]
    assert recipe.ops_for("score") == ()
