"""URL tables and s3:// prefixes through `vidsift submit` and the workers (real RabbitMQ and SeaweedFS):
a row's caption and saved columns reach every clip of its video, range tasks included."""

from __future__ import annotations

import json
import subprocess
import uuid

import boto3
import pytest

from tests.infra import env_with, vidsift_exe
from tests.integration.test_distributed import job_store, wait_done

pytestmark = pytest.mark.integration

RECIPE = """
- video_split_by_scene_mapper: {threshold: 27.0, min_scene_len: 10}
- video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
- video_duration_filter: {min_duration: 0.5, max_duration: 3}
"""


@pytest.fixture
def bucket(s3_server, video):
    """raw/tab/a.mp4 (10 s: split in ranges), raw/pre/b.mp4 and a text file beside it."""
    env = s3_server.env()
    client = boto3.client("s3", endpoint_url=s3_server.endpoint, region_name="us-east-1",
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    root = f"raw-{uuid.uuid4().hex[:8]}"
    client.upload_file(str(video("cosmoscurate__test_clip_10s.mp4")), s3_server.bucket, f"{root}/tab/a.mp4")
    client.upload_file(str(video("imageio__realshort.mp4")), s3_server.bucket, f"{root}/pre/b.mp4")
    client.put_object(Bucket=s3_server.bucket, Key=f"{root}/pre/notes.txt", Body=b"not a video")
    return f"s3://{s3_server.bucket}/{root}"


def _lines(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def test_submit_carries_table_rows_through_range_tasks_and_expands_a_prefix(rabbitmq_url, s3_server, bucket, tmp_path):
    env = env_with(VIDSIFT_BROKER_URL=rabbitmq_url, VIDSIFT_STORAGE_URL=f"s3://{s3_server.bucket}/run-{uuid.uuid4().hex[:8]}",
                   VIDSIFT_SCRATCH_DIR=str(tmp_path), VIDSIFT_SPLIT_RANGE_S="4", **s3_server.env())
    (tmp_path / "r.yaml").write_text(RECIPE)
    table = tmp_path / "urls.csv"
    table.write_text(f"link,title,licence\n{bucket}/tab/a.mp4,a cosmos clip,cc-by\n")
    procs = [subprocess.Popen([vidsift_exe(), "worker", stage, "-c", "1", "--loglevel", "WARNING"], env=env,
                              stdout=open(tmp_path / f"{stage}.log", "wb"), stderr=subprocess.STDOUT)
             for stage in ("split", "score", "resize", "caption")]
    try:
        job = f"tab-{uuid.uuid4().hex[:8]}"
        res = subprocess.run([vidsift_exe(), "submit", str(table), f"{bucket}/pre/", "--job", job, "--recipe",
                              str(tmp_path / "r.yaml"), "--url-col", "link", "--caption-col", "title",
                              "--save-cols", "licence"], env=env, capture_output=True, text=True, check=True)
        assert "submitted 2 video(s)" in res.stdout  # the prefix's one video; not its text file
        wait_done(env, job, [f"{bucket}/tab/a.mp4", f"{bucket}/pre/b.mp4"])
        subprocess.run([vidsift_exe(), "export", job, "--out", str(tmp_path / "m.jsonl")], env=env, check=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    assert list(job_store(env, job).store.list("ranges/"))  # the row's video went through range tasks
    lines = _lines(tmp_path / "m.jsonl")
    from_row = [l for l in lines if l["clip"]["source"] == f"{bucket}/tab/a.mp4"]
    from_prefix = [l for l in lines if l["clip"]["source"] == f"{bucket}/pre/b.mp4"]
    assert len(from_row) >= 3 and len(from_prefix) == 1 and len(lines) == len(from_row) + 1
    assert all(l["meta"] == {"caption": "a cosmos clip", "licence": "cc-by"} and l["text"] == "a cosmos clip"
               for l in from_row)
    assert "meta" not in from_prefix[0] and from_prefix[0]["text"] == ""


def test_run_expands_an_s3_prefix(s3_server, bucket, tmp_path):
    (tmp_path / "r.yaml").write_text(RECIPE)
    env = env_with(VIDSIFT_SCRATCH_DIR=str(tmp_path), VIDSIFT_NO_PROGRESS="1", **s3_server.env())
    subprocess.run([vidsift_exe(), "run", f"{bucket}/pre/", "--out", str(tmp_path / "out"), "--recipe",
                    str(tmp_path / "r.yaml"), "--no-progress"], env=env, check=True, capture_output=True)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["inputs"] == 1 and summary["accepted_clips"] == 1
    assert [l["clip"]["source"] for l in _lines(tmp_path / "out" / "manifest.jsonl")] == [f"{bucket}/pre/b.mp4"]
