import pytest

from vidsift.recipe import RecipeError, load_recipe, parse_recipe
from vidsift_resizer.geometry import Geometry
from vidsift_resizer.ops.aspect_ratio import VideoResizeAspectRatioMapper
from vidsift_resizer.ops.resolution import VideoResizeResolutionMapper


def op(recipe):
    r = parse_recipe(recipe)
    return r.build("resize")[0]


@pytest.mark.parametrize("profile", ["local", "default"])
def test_profiles_resize_to_the_reference_resolutions_after_the_filters(profile):
    r = load_recipe(profile)
    names = [s.name for s in r.ops]
    i = names.index("video_resize_resolution_mapper")
    assert all(not n.endswith("_filter") for n in names[i + 1:])
    specs = r.build("resize")[0].outputs(Geometry(1280, 720))
    assert [(s.key, s.chain.split(",")[0]) for s in specs] == [("512x512", "scale=512:512"), ("256x256", "scale=256:256")]


def test_target_forms_and_per_target_mode():
    m = op([{"video_resize_resolution_mapper": {
        "targets": ["512x512", {"size": "320x240", "mode": "fill"}], "mode": "fit"}}])
    specs = m.outputs(Geometry(1920, 1080))
    assert [s.key for s in specs] == ["512x512", "320x240"]
    assert "pad=512:512" in specs[0].chain and "crop=320:240" in specs[1].chain


def test_canonical_recipe_round_trips():
    r = parse_recipe([{"video_resize_resolution_mapper": {"targets": ["512x512", {"size": "256x256", "mode": "fill"}]}}])
    from vidsift.recipe import recipe_from_json
    assert recipe_from_json(r.to_json()).id == r.id


@pytest.mark.parametrize("params, message", [
    ({"targets": ["511x512"]}, "even width and height"),
    ({"targets": ["512"]}, "WIDTHxHEIGHT"),
    ({"targets": ["512x512", "512X512"]}, "each size may appear once"),
    ({"mode": "zoom"}, "mode"),
    ({"force_original_aspect_ratio": "increase", "force_divisible_by": 3}, "positive even number"),
    ({"resolution": 512}, "unknown parameter"),
])
def test_bad_params_are_refused_naming_the_parameter(params, message):
    with pytest.raises(RecipeError, match=message):
        parse_recipe([{"video_resize_resolution_mapper": params}])


def test_data_juicer_parameters_without_targets():
    m = op([{"video_resize_resolution_mapper": {"max_width": 320, "save_dir": "/ignored"}}])
    assert isinstance(m, VideoResizeResolutionMapper)
    assert [s.key for s in m.outputs(Geometry(640, 360))] == ["320x180"]
    assert [s.key for s in m.outputs(Geometry(300, 200))] == ["300x200"]  # in range: the clip as it is


def test_aspect_ratio_mapper():
    m = op([{"video_resize_aspect_ratio_mapper": {"min_ratio": "3:4", "max_ratio": "4/3", "strategy": "decrease",
                                                  "full_resolution": True}}])
    assert isinstance(m, VideoResizeAspectRatioMapper)
    assert [s.key for s in m.outputs(Geometry(640, 360))] == ["480x360", "640x360"]
    with pytest.raises(RecipeError, match="positive ratio"):
        parse_recipe([{"video_resize_aspect_ratio_mapper": {"min_ratio": "0/1"}}])
