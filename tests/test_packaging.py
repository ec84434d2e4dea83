"""The wheel the images install holds every package and the shipped recipe profiles."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tree_packages() -> set[str]:
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for name, root in conf["package-dir"].items():
        for dirpath, dirs, files in os.walk(REPO / root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if "__init__.py" in files:
                rel = Path(dirpath).relative_to(REPO / root)
                found.add(".".join([name, *rel.parts]))
    return found


def test_every_package_in_the_tree_is_listed():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(conf["packages"]) == _tree_packages()


def test_wheel_contains_services_and_profiles(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True)
    [wheel] = tmp_path.glob("vidsift-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for must in ("vidsift/recipe/profiles/local.yaml", "vidsift/recipe/profiles/default.yaml",
                 "vidsift_splitter/stage.py", "vidsift_scorer/stage.py", "vidsift_resizer/stage.py",
                 "vidsift_captioner/stage.py", "vidsift/transport.py", "vidsift/templates/report.html.j2"):
        assert must in names
