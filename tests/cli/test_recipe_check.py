"""`vidsift recipe check`: the recipe loader alone, one line and exit 2 on a bad recipe (the chart's hook)."""

from __future__ import annotations

from click.testing import CliRunner

from vidsift.cli import main
from vidsift.recipe import load_recipe

from tests.recipes import CPU_SPLIT

BAD = "process:\n  - video_duration_filter: {min_duration: soon}\n"


def _check(*args, stdin=None):
    return CliRunner().invoke(main, ["recipe", "check", *args], input=stdin)


def test_profile_file_and_stdin_print_the_recipe_id(tmp_path):
    assert _check("default").exit_code == 0
    (tmp_path / "r.yaml").write_text(CPU_SPLIT)
    for result in (_check(str(tmp_path / "r.yaml")), _check("-", stdin=CPU_SPLIT)):
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"recipe {load_recipe(CPU_SPLIT).id}: 6 op(s) (split: ")


def test_a_bad_recipe_is_one_line_naming_the_op_exit_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    for result in (_check(str(tmp_path / "bad.yaml")), _check("-", stdin=BAD)):
        assert result.exit_code == 2
        (line,) = result.output.strip().splitlines()
        assert "video_duration_filter" in line and "min_duration" in line, line
    result = _check("defualt")
    assert result.exit_code == 2 and "did you mean 'default'?" in result.output
