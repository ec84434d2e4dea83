"""``vidsift run`` options that add a captioner to a recipe (the local profile has none).

The CLI declares the options with ``caption_options`` and applies them with ``with_captioner``;
an option left out keeps the op's own default (defaults live only in ``CaptioningParams``).
"""

from __future__ import annotations

import click

from vidsift.recipe import Recipe, parse_recipe

OP = "video_captioning_mapper"

# CLI option -> op parameter
OPTIONS = {
    "caption_backend": "backend",
    "caption_model": "model",
    "caption_base_url": "base_url",
    "caption_api_key_env": "api_key_env",
    "caption_frames": "frame_num",
    "caption_batch_size": "batch_size",
}


def caption_options(fn):
    """Click options: --caption-backend, --caption-model, --caption-base-url, --caption-api-key-env,
    --caption-frames, --caption-batch-size."""
    decorators = [
        click.option("--caption-backend", type=click.Choice(["hf", "openai"]),
                     help="Add a captioner: 'hf' (local model) or 'openai' (OpenAI-compatible API)."),
        click.option("--caption-model", help="Hugging Face id or directory (hf), or served model name (openai)."),
        click.option("--caption-base-url", help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1."),
        click.option("--caption-api-key-env", help="Environment variable that holds the API key."),
        click.option("--caption-frames", type=int, help="Frames per clip sent to the captioner."),
        click.option("--caption-batch-size", type=int, help="Clips per model batch (hf)."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


def with_captioner(recipe: Recipe, **options) -> Recipe:
    """The recipe plus a ``video_captioning_mapper`` from CLI options (unchanged if no backend given).

    Replaces a captioner the recipe already has, so ``--caption-*`` always means what it says.
    """
    params = {OPTIONS[k]: v for k, v in options.items() if k in OPTIONS and v is not None}
    if "backend" not in params:
        if params:
            raise click.UsageError("--caption-* options need --caption-backend")
        return recipe
    if "model" not in params:
        raise click.UsageError("--caption-backend needs --caption-model")
    data = recipe.to_dict()
    data["process"] = [op for op in data["process"] if OP not in op] + [{OP: params}]
    return parse_recipe(data)


class RunOptions:
    """`vidsift run`'s hook (StageSpec.run_options): declare the options, apply them to the recipe."""

    decorate = staticmethod(caption_options)
    apply = staticmethod(with_captioner)


RUN_OPTIONS = RunOptions()
