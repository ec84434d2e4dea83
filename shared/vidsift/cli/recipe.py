"""`vidsift recipe check SOURCE`: validate a recipe with the loader every command uses, and nothing else
(no broker, no storage, no models), so a deployment can refuse a bad recipe before any clip meets it
(the Helm chart's pre-install/pre-upgrade hook runs it)."""

from __future__ import annotations

import sys

import click

from . import SetupError, recipe_option


@click.group()
def recipe():
    """Recipes: check one before a deployment or a job uses it."""


@recipe.command()
@click.argument("source")
def check(source):
    """Load SOURCE (a shipped profile name, a recipe file, or - for the YAML on stdin) and print its id
    and ops per stage; a bad recipe is one line naming the op and parameter, exit code 2."""
    if source == "-":
        from ..recipe import RecipeError, load_recipe

        text = sys.stdin.read()
        try:
            rec = load_recipe(text if "\n" in text else text + "\n")  # text, never taken for a path
        except RecipeError as exc:
            raise SetupError(str(exc)) from None  # "recipe text: op #N …"
    else:
        rec = recipe_option(source)
    stages: dict[str, list[str]] = {}
    for op in rec.ops:
        stages.setdefault(op.stage, []).append(op.name)
    ops = "; ".join(f"{stage}: {', '.join(names)}" for stage, names in stages.items())
    click.echo(f"recipe {rec.id}: {len(rec.ops)} op(s) ({ops})")
