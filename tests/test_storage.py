"""Storage backends against real servers: local disk and a SeaweedFS S3 server."""

from __future__ import annotations

import uuid

import pytest

from vidsift.config import Settings
from vidsift.storage import FileStorage, NotFound, open_storage


def _exercise(store):
    assert store.stat("a/b.json") is None
    uri = store.put_bytes("a/b.json", b'{"x": 1}', "application/json")
    assert uri == store.uri("a/b.json")
    assert store.get_bytes("a/b.json") == b'{"x": 1}'
    assert store.stat("a/b.json").size == 8
    store.put_bytes_once("a/b.json", b'{"x": 2}')  # same size: left alone (idempotent)
    assert store.get_bytes("a/b.json") == b'{"x": 1}'
    store.put_bytes("a/c.json", b"2")
    assert sorted(store.list("a/")) == ["a/b.json", "a/c.json"]
    store.delete("a/c.json")
    assert sorted(store.list("a/")) == ["a/b.json"]
    with pytest.raises(NotFound):
        store.get_bytes("missing")


def test_file_storage(tmp_path):
    _exercise(FileStorage(str(tmp_path)))


def test_file_storage_refuses_keys_that_escape_the_root(tmp_path):
    with pytest.raises(ValueError, match="escapes"):
        FileStorage(str(tmp_path / "root")).put_bytes("../outside", b"x")


@pytest.mark.integration
def test_s3_storage_on_a_real_server(s3_server, monkeypatch):
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    store = open_storage(f"s3://{s3_server.bucket}/t-{uuid.uuid4().hex[:6]}", Settings(s3_endpoint_url=s3_server.endpoint))
    _exercise(store)
