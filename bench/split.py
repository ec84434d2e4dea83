"""Split speed against bare decode, PySceneDetect detect-content and detect-content split-video.

One run, same machine, same files: prints times, ratios to `ffmpeg -i X -f null -` and each
process's peak memory. vidsift's split here is the real stage function: scene cuts, 1-3 s pieces,
duration and resolution filters and stored sample frames (what a later op asks for).
Usage: .venv/bin/python bench/split.py [VIDEO ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _util import VIDEOS, measure, python_cmd, table

RECIPE = """
process:
  - video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
  - video_validity_filter: {}
  - video_duration_filter: {min_duration: 1, max_duration: 3}
  - video_resolution_filter: {min_width: 256, max_width: 1800, min_height: 256, max_height: 1800}
  # Only here so the splitter stores the frames a scorer would read (the op is not run).
  - video_nsfw_filter: {backend: open_nsfw, frame_sampling_method: SAMPLING, frame_num: 3}
"""

SPLIT = """
import sys
from vidsift.config import Settings
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage, canonical_uri
from vidsift_splitter.stage import split_source
recipe = load_recipe(sys.argv[1]); jobs = JobStore(FileStorage(sys.argv[2]), "bench")
ctx = StageContext(Settings(), jobs, recipe)
clips = split_source(SourceRef(job="bench", uri=canonical_uri(sys.argv[3]), recipe_id=recipe.id), ctx)
assert clips or list(jobs.records())
"""


def main(paths: list[Path]) -> None:
    scenedetect = str(Path(sys.executable).with_name("scenedetect"))
    rows = []
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            recipes = {}
            for sampling in ("all_keyframes", "uniform"):
                recipes[sampling] = Path(tmp, f"{sampling}.yaml")
                recipes[sampling].write_text(RECIPE.replace("SAMPLING", sampling))
            runs = {
                "bare decode (ffmpeg -f null)": ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                "PySceneDetect detect-content": [scenedetect, "-q", "-i", str(path), "-o", tmp, "detect-content"],
                "PySceneDetect detect + split-video": [scenedetect, "-q", "-i", str(path), "-o", tmp,
                                                       "detect-content", "split-video"],
                # Key frames only (the reference scheme's scorer sampling): no per-frame work beyond detection.
                "vidsift split, key-frame samples": python_cmd(SPLIT) + [str(recipes["all_keyframes"]), str(Path(tmp, "store")), str(path)],
                # Uniform samples depend on the clip's final length, so every frame of the open
                # clip is kept small until it closes (a resize per frame).
                "vidsift split, key + uniform samples": python_cmd(SPLIT) + [str(recipes["uniform"]), str(Path(tmp, "store")), str(path)],
            }
            results = {}
            for name, cmd in runs.items():
                results[name] = measure(cmd)
                shutil.rmtree(Path(tmp, "store"), ignore_errors=True)
            base = results["bare decode (ffmpeg -f null)"][0]
            for name, (sec, mem) in results.items():
                rows.append([path.name, name, f"{sec:.2f}", f"{sec / base:.2f}x", f"{mem:.0f}"])
    print(table(rows, ["video", "method", "seconds", "vs bare decode", "peak MiB"]))


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or [VIDEOS / "video2dataset__test_video.mp4",
                                                VIDEOS / "pyscenedetect__testvideo.mp4"]
    main(args)
