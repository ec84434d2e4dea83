from __future__ import annotations

import json

import pytest

from vidsift.refs import BadMessage, ClipRef, SourceRef, parse_message, to_message


def test_source_ref_round_trips_as_small_json():
    ref = SourceRef(job="job-1", uri="s3://b/v.mp4", recipe_id="abc")
    msg = to_message(ref)
    assert msg["schema"] == "vidsift.source/1"
    assert parse_message(json.loads(json.dumps(msg)), SourceRef) == ref


@pytest.mark.parametrize("payload,needle", [
    ("not a dict", "expected a JSON object"),
    ({"schema": "vidsift.source/9", "job": "j", "uri": "x", "recipe_id": "r"}, "unknown message schema"),
    ({"schema": "vidsift.source/1", "job": "j"}, "invalid vidsift.source/1"),
    ({"schema": "vidsift.source/1", "job": "../etc", "uri": "x", "recipe_id": "r"}, "invalid"),
    ({"schema": "vidsift.source/1", "job": "j", "uri": "x", "recipe_id": "r", "pickle": "x"}, "invalid"),
])
def test_bad_messages_are_refused_with_a_reason(payload, needle):
    with pytest.raises(BadMessage, match=needle):
        parse_message(payload, SourceRef)


def test_clip_message_refuses_the_source_schema():
    with pytest.raises(BadMessage):
        parse_message({"schema": "vidsift.source/1"}, ClipRef)


def test_a_range_ref_round_trips_and_a_plain_one_stays_the_producers_document():
    plain = SourceRef(job="job-1", uri="s3://b/v.mp4", recipe_id="abc")
    assert set(to_message(plain)) == {"schema", "job", "uri", "recipe_id"}
    ranged = SourceRef(job="job-1", uri="s3://b/v.mp4", recipe_id="abc", range_start=7500, range_end=15000, fps=25.0)
    assert parse_message(json.loads(json.dumps(to_message(ranged))), SourceRef) == ranged
    assert ranged.is_range and not plain.is_range and ranged.range_seconds == 300.0


@pytest.mark.parametrize("fields", [
    {"range_start": 0, "range_end": 10},  # no fps
    {"range_start": 10, "range_end": 10, "fps": 25.0},  # empty
    {"range_start": -1, "range_end": 10, "fps": 25.0},
])
def test_incomplete_or_empty_ranges_are_refused(fields):
    with pytest.raises(BadMessage):
        parse_message({"schema": "vidsift.source/1", "job": "j", "uri": "x", "recipe_id": "r", **fields}, SourceRef)
