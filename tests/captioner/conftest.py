"""Captioner fixtures: clips with stored sample frames from a real video, tiny VLMs, a job store.

Clips are made without the splitter: frames are decoded from a real test video with OpenCV and
stored as JPEGs where the splitter stores them, then listed in a ClipRef.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vidsift.config import Settings
from vidsift.frames import encode_jpeg, shrink, uniform_positions
from vidsift.jobs import JobStore, clip_id
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import ClipRef, FrameRef, SourceInfo
from vidsift.storage import FileStorage
from tests.infra import read_frames

from .tiny_vlm import build_tiny_vlm

VIDEO = "datajuicer__video1.mp4"
FPS_FALLBACK = 25.0


@pytest.fixture
def jobs(tmp_path) -> JobStore:
    return JobStore(FileStorage(f"file://{tmp_path / 'job'}"), "captest")


@pytest.fixture
def make_clips(video, jobs):
    """make_clips(n, frame_num) -> n consecutive 1 s clips of a real video, frame_num frames stored each."""
    import cv2

    path = video(VIDEO)
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or FPS_FALLBACK
    total, w, h = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), int(cap.get(3)), int(cap.get(4))
    cap.release()
    source_id = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    info = SourceInfo(uri=path.as_uri(), source_id=source_id, size=path.stat().st_size, width=w, height=h,
                      fps=fps, frames=total, duration=total / fps)

    def make(n: int, frame_num: int, recipe_id: str = "r") -> list[ClipRef]:
        span = int(round(fps))
        clips = []
        for k in range(n):
            start, end = k * span, (k + 1) * span
            indices = [start + p for p in uniform_positions(end - start, fps, frame_num)]
            frames = read_frames(path, indices)
            refs = []
            for i in indices:
                key = f"frames/{source_id}/{i}.jpg"
                jobs.store.put_bytes(key, encode_jpeg(shrink(frames[i])), "image/jpeg")
                refs.append(FrameRef(index=i, t=(i - start) / fps, uri=jobs.store.uri(key)))
            clips.append(ClipRef(job=jobs.job, recipe_id=recipe_id, id=clip_id(source_id, start, end, recipe_id),
                                 source=info, scene=0, start_frame=start, end_frame=end, start=start / fps,
                                 end=end / fps, frames=tuple(refs)))
        return clips

    return make


@pytest.fixture
def context(jobs):
    """context(recipe_yaml) -> StageContext over the job store, recording emitted events."""
    def make(recipe_yaml: str) -> StageContext:
        ctx = StageContext(settings=Settings(), jobs=jobs, recipe=load_recipe(recipe_yaml))
        ctx.events = []
        ctx.observer = lambda event, stage, data: ctx.events.append((event, stage, data))
        return ctx
    return make


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"), steer="first")


@pytest.fixture(scope="session")
def tiny_vlm_eos(tmp_path_factory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm-eos"), steer="eos")


@pytest.fixture
def openai_server():
    from .openai_server import OpenAITestServer

    server = OpenAITestServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_backends():
    """Each test loads its own backend (a key or server set by one test must not leak into the next);
    ops are cached per recipe and process too, and hold their backend."""
    from vidsift import pipeline
    from vidsift_captioner import backends

    backends._LOADED.clear()
    pipeline._OP_CACHE.clear()
    yield
    backends._LOADED.clear()
    pipeline._OP_CACHE.clear()
