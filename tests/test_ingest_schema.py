"""The ingest message's published JSON Schema (docs/schema/source.json): it is the model's, `vidsift
submit`'s own messages validate against it, and so do those of the Node.js producer in the docs."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import jsonschema
import pytest

import vidsift
from tests.alerts.broker import broker_url, temp_vhost
from tests.infra import REPO
from vidsift.refs import SourceRef, parse_message, source_schema

SCHEMA_FILE = REPO / "docs" / "schema" / "source.json"
VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def test_the_published_schema_is_the_model_s_current_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))
    assert json.loads(SCHEMA_FILE.read_text()) == source_schema(), \
        "regenerate it: python -m vidsift.refs > docs/schema/source.json"


@pytest.mark.parametrize("doc, wrong", [
    ({"job": "j", "uri": "s3://b/a.mp4", "recipe_id": "r"}, "'schema' is a required property"),
    ({"schema": "vidsift.source/2", "job": "j", "uri": "u", "recipe_id": "r"}, "'vidsift.source/1' was expected"),
    ({"schema": "vidsift.source/1", "job": "../x", "uri": "u", "recipe_id": "r"}, "does not match"),
    ({"schema": "vidsift.source/1", "job": "j", "uri": "u", "recipe_id": "r", "bytes": "AAAA"},
     "Additional properties are not allowed"),
    ({"schema": "vidsift.source/1", "job": "j", "uri": "u", "recipe_id": "r", "meta": "a caption"}, "is not valid under any of the given schemas"),
])
def test_the_schema_refuses_what_a_worker_refuses(doc, wrong):
    errors = [e.message for e in VALIDATOR.iter_errors(doc)]
    assert any(wrong in e for e in errors), errors
    with pytest.raises(ValueError):  # BadMessage: the worker dead-letters it
        parse_message(doc, SourceRef)


def _drain(vhost: str) -> list[tuple[dict, list]]:
    """(headers, body) of every message in the vhost's ingest queue."""
    import amqp

    conn = amqp.Connection("127.0.0.1:5672", userid="guest", password="guest", virtual_host=vhost)
    conn.connect()
    try:
        channel, out = conn.channel(), []
        while (msg := channel.basic_get("vidsift.split", no_ack=True)) is not None:
            assert msg.properties["content_type"] == "application/json"
            out.append((msg.headers, json.loads(msg.body)))
        return out
    finally:
        conn.close()


@pytest.fixture
def vhost(monkeypatch, tmp_path):
    with temp_vhost("ingest") as vh:
        monkeypatch.setenv("VIDSIFT_BROKER_URL", broker_url(vh))
        monkeypatch.setenv("VIDSIFT_STORAGE_URL", (tmp_path / "store").as_uri())
        yield vh


def test_vidsift_submit_s_messages_validate_against_the_schema(vhost, tmp_path):
    table = tmp_path / "urls.jsonl"
    table.write_text(json.dumps({"url": "https://example.org/a.mp4", "caption": "a cat", "lang": "en"}) + "\n")
    job = f"schema-{uuid.uuid4().hex[:6]}"
    result = vidsift.submit([table, "s3://bucket/raw/b.mp4"], job=job, recipe="local", caption_col="caption",
                            save_cols=["lang"])
    assert result == {"job": job, "recipe_id": vidsift.recipe.load_recipe("local").id, "submitted": 2}
    messages = _drain(vhost)
    assert len(messages) == 2
    for headers, (args, kwargs, _embed) in messages:
        assert headers["task"] == "vidsift.stage.split" and kwargs == {} and len(args) == 1
        VALIDATOR.validate(args[0])
    docs = {args[0]["uri"]: args[0] for _, (args, _, _) in messages}
    assert docs["https://example.org/a.mp4"]["meta"] == {"caption": "a cat", "lang": "en"}
    assert "meta" not in docs["s3://bucket/raw/b.mp4"]  # a plain input sends the minimal document


def _node_with_amqplib() -> bool:
    return bool(shutil.which("node")) and subprocess.run(
        ["node", "-e", "require('amqplib')"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _node_with_amqplib(), reason="node with amqplib (npm install amqplib; NODE_PATH) not found")
def test_the_node_producer_in_the_docs_sends_valid_celery_messages(vhost, tmp_path):
    from vidsift.transport import declare_topology, make_app

    declare_topology(make_app())
    res = subprocess.run(["node", str(REPO / "docs" / "examples" / "producer.js"), broker_url(vhost), "node-job",
                          "0123456789abcdef", "s3://bucket/raw/a.mp4", "s3://bucket/raw/b.mp4"],
                         capture_output=True, text=True, env={**__import__("os").environ, "CAPTION": "from node"})
    assert res.returncode == 0, res.stderr
    messages = _drain(vhost)
    assert [args[0]["uri"] for _, (args, _, _) in messages] == ["s3://bucket/raw/a.mp4", "s3://bucket/raw/b.mp4"]
    for headers, (args, kwargs, embed) in messages:
        VALIDATOR.validate(args[0])
        ref = parse_message(args[0], SourceRef)
        assert ref.meta == {"caption": "from node"} and ref.recipe_id == "0123456789abcdef"
        assert headers["task"] == "vidsift.stage.split" and headers["id"] and kwargs == {}
