"""--recipe is a profile name or a file; anything else is one line with the profiles and the nearest name."""

from __future__ import annotations

import subprocess

from tests.infra import env_with, vidsift_exe
from tests.recipes import CPU_SPLIT


def _vidsift(*args, cwd):
    return subprocess.run([vidsift_exe(), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env_with(VIDSIFT_NO_PROGRESS="1"), timeout=120)


def _error(proc) -> str:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [l for l in proc.stderr.splitlines() if l.startswith("Error:")]
    return line


def test_misspelt_profile_suggests_the_profile(tmp_path, video):
    for command in (["run", video("imageio__realshort.mp4"), "--out", tmp_path / "o"],
                    ["submit", video("imageio__realshort.mp4"), "--job", "j"]):
        proc = _vidsift(*command, "--recipe", "locl", cwd=tmp_path)
        assert _error(proc) == ("Error: --recipe: no profile or file 'locl' (profiles: local, default)"
                                " — did you mean 'local'?")
    assert list(tmp_path.iterdir()) == []


def test_missing_file_and_a_near_file_name(tmp_path, video):
    proc = _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", "nosuch.yaml",
                    cwd=tmp_path)
    assert _error(proc) == "Error: --recipe: no profile or file 'nosuch.yaml' (profiles: local, default)"
    (tmp_path / "split.yaml").write_text(CPU_SPLIT)
    proc = _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", "split.yml",
                    cwd=tmp_path)
    assert _error(proc).endswith("did you mean 'split.yaml'?")


def test_a_file_with_an_unknown_op_names_it(tmp_path, video):
    (tmp_path / "bad.yaml").write_text("process:\n  - video_nosuch_filter: {}\n")
    proc = _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", "bad.yaml",
                    cwd=tmp_path)
    line = _error(proc)
    assert "bad.yaml" in line and "video_nosuch_filter" in line


def test_profile_and_file_both_run(tmp_path, video):
    (tmp_path / "split.yaml").write_text(CPU_SPLIT)
    proc = _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", "split.yaml",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o" / "summary.json").exists()
