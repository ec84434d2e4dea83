import click
import pytest
from click.testing import CliRunner

from vidsift.recipe import load_recipe
from vidsift_captioner.cli import caption_options, with_captioner


def test_options_add_a_captioner_to_the_local_profile():
    seen = {}

    @click.command()
    @caption_options
    def run(**opts):
        seen["recipe"] = with_captioner(load_recipe("local"), **opts)

    result = CliRunner().invoke(run, ["--caption-backend", "openai", "--caption-model", "gpt-4o-mini",
                                      "--caption-frames", "3"])
    assert result.exit_code == 0, result.output
    spec = seen["recipe"].find("video_captioning_mapper")
    assert (spec.params.backend, spec.params.model, spec.params.frame_num) == ("openai", "gpt-4o-mini", 3)
    assert spec.params.base_url is None  # the op's own default: the worker's setting, else OpenAI
    assert spec is seen["recipe"].ops[-1]


def test_no_backend_leaves_the_recipe_alone_and_replaces_an_existing_captioner():
    local = load_recipe("local")
    assert with_captioner(local) is local
    swapped = with_captioner(load_recipe("default"), caption_backend="openai", caption_model="m")
    [spec] = [s for s in swapped.ops if s.name == "video_captioning_mapper"]
    assert spec.params.backend == "openai"


@pytest.mark.parametrize("opts", [{"caption_model": "m"}, {"caption_backend": "hf"}])
def test_incomplete_options_are_usage_errors(opts):
    with pytest.raises(click.UsageError):
        with_captioner(load_recipe("local"), **opts)
