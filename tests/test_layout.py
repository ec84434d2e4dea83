"""The job layout: stored keys are a contract with every job already in storage, so they are pinned."""

from vidsift import layout


def test_keys():
    assert layout.job_url("s3://bucket/prefix/", "batch-1") == "s3://bucket/prefix/jobs/batch-1"
    assert layout.job_prefix("batch-1") == "jobs/batch-1"
    assert layout.RECIPE == "recipe.json"
    assert layout.source_key("s1") == "sources/s1.json" and layout.index_key("s1") == "index/s1.json"
    assert layout.plan_key("s1") == "ranges/s1/plan.json" and layout.range_key("s1", 250) == "ranges/s1/0000000250.json"
    assert layout.record_key("c1") == "records/c1.json"
    assert layout.frame_key("s1", 120) == "frames/s1/0000120.jpg"
    assert layout.thumb_key("s1", "c1") == "thumbs/s1/c1.jpg"
    assert layout.clip_key("c1", "512x512") == "clips/c1/512x512.mp4"


def test_record_ids_from_keys():
    assert layout.record_id_of(layout.record_key("src-abc")) == "src-abc"
    assert layout.record_id_of("records/.c1.json.tmp123") is None  # a write in progress is no record
