"""Clips of real test videos, numbered and timed as the splitter's OpenCV decoder numbers them."""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path

import pytest

from vidsift.config import Settings
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import ClipRef, SourceInfo
from vidsift.storage import fingerprint, open_storage


@cache
def opencv_times(path: str) -> tuple[float, tuple[float, ...]]:
    """(CAP_PROP_FPS, each decoded frame's CAP_PROP_POS_MSEC in seconds): what the splitter records."""
    cv2 = pytest.importorskip("cv2")
    cap = cv2.VideoCapture(path)
    times = []
    while cap.grab():
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000)
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return fps, tuple(times)


def clip_of(path: Path, start: int, end: int, recipe_id: str = "r") -> ClipRef:
    fps, times = opencv_times(str(path))
    st = os.stat(path)
    info = SourceInfo(uri=path.resolve().as_uri(), source_id=fingerprint(str(path), st.st_size), size=st.st_size,
                      etag=str(st.st_mtime_ns), width=1, height=1, fps=fps, frames=len(times),
                      duration=len(times) / fps)
    end_t = times[end] if end < len(times) else times[-1] + 1 / fps
    return ClipRef(job="t", recipe_id=recipe_id, id=f"{path.stem[:40]}-{start}-{end}", source=info, scene=0,
                   start_frame=start, end_frame=end, start=times[start], end=end_t)


@pytest.fixture
def make_ctx(tmp_path):
    """make_ctx(recipe_yaml) -> StageContext writing into a fresh job directory."""
    def make(recipe: str) -> StageContext:
        return StageContext(settings=Settings(scratch_dir=str(tmp_path / "scratch")),
                            jobs=JobStore(open_storage(str(tmp_path / "job")), "t"), recipe=load_recipe(recipe))
    return make


def ffprobe(path: str) -> dict:
    """Streams (with counted packets) and format of an output file."""
    out = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-show_format",
                          "-of", "json", path], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def local(uri: str) -> str:
    assert uri.startswith("file://"), uri
    return uri[len("file://"):]
