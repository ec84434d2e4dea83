"""Thumbnails of clips rejected in the split stage: a bounded, deterministic sample, stored per source
or range task, the same objects whatever the delivery."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.recipes import CPU_SPLIT
from vidsift.config import Settings
from vidsift.frames import decode_jpeg
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext, run_stage
from vidsift.recipe import load_recipe
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage, canonical_uri
from vidsift_splitter.thumbnails import THUMB_WIDTH, RejectedSample, thumbnail


def _ids(n, seed):
    rng = random.Random(seed)
    return [f"{rng.getrandbits(96):024x}" for _ in range(n)]


def test_the_sample_is_the_smallest_ids_per_op_and_reason_class_whatever_the_order():
    ids = _ids(200, 1)
    frame = np.zeros((9, 16, 3), np.uint8)
    samples = []
    for order in (ids, list(reversed(ids)), random.Random(2).sample(ids, len(ids))):
        s = RejectedSample(per_class=5)
        for i, cid in enumerate(order):
            # two reason classes of one op (the numbers differ, the class does not), and a second op
            reason = f"video_motion_score {i / 1000:.3f} < min 0.25" if int(cid, 16) % 2 else "video_duration 0.5 < min 1"
            s.offer(cid, "op_a" if int(cid, 16) % 3 else "op_b", reason, frame)
        s.offer(ids[0], "op_a", "video_duration 0.5 < min 1", None)  # no frame: nothing kept
        samples.append(s.kept())
    assert samples[0] == samples[1] == samples[2]
    kept = samples[0]
    assert len(kept) == 20  # 2 ops x 2 classes x 5
    classes = {}
    for cid in ids:
        key = ("op_a" if int(cid, 16) % 3 else "op_b", int(cid, 16) % 2)
        classes.setdefault(key, []).append(cid)
    assert kept == sorted(c for members in classes.values() for c in sorted(members)[:5])


def test_thumbnail_is_small_and_keeps_the_aspect():
    big = np.full((720, 1280, 3), 200, np.uint8)
    assert thumbnail(big).shape == (90, THUMB_WIDTH, 3)
    small = np.zeros((40, 60, 3), np.uint8)
    assert thumbnail(small).shape == small.shape  # never enlarged


def _ctx(tmp_path, name, range_s=0):
    recipe = load_recipe(CPU_SPLIT)
    jobs = JobStore(FileStorage(str(tmp_path / name)), "t")
    jobs.save_recipe(recipe)
    return StageContext(Settings(scratch_dir=str(tmp_path), split_range_s=range_s), jobs, recipe)


def _split_all(ctx, path):
    todo = [SourceRef(job="t", uri=canonical_uri(str(path)), recipe_id=ctx.recipe.id)]
    ranges = 0
    while todo:
        for out in run_stage("split", todo.pop(0), ctx):
            if isinstance(out, SourceRef):
                todo.append(out)
                ranges += 1
    return ranges


def _rejected(ctx):
    return {d["line"]["clip"]["id"]: d["line"] for d in ctx.jobs.records() if "clip" in d["line"]}


@pytest.mark.parametrize("range_s", [0, 8])
def test_split_stores_a_thumbnail_of_rejected_clips(video, tmp_path, range_s):
    path = video("pyscenedetect__testvideo.mp4")  # 24 s, 1280x720: clips rejected by duration and motion
    ctx = _ctx(tmp_path, "job", range_s)
    ranges = _split_all(ctx, path)
    assert (ranges > 1) == bool(range_s)
    rejected = _rejected(ctx)
    thumbs = ctx.jobs.thumbnails()
    assert len(rejected) >= 5 and set(thumbs) == set(rejected)  # fewer than PER_CLASS per class: every one kept
    for cid, key in thumbs.items():
        assert key == f"thumbs/{rejected[cid]['clip']['source_id']}/{cid}.jpg"
        img = decode_jpeg(ctx.jobs.store.get_bytes(key))
        assert img.shape == (90, THUMB_WIDTH, 3) and img.std() > 1  # 1280x720 scaled, not a blank frame
    # The same source split again, from scratch: the same objects, byte for byte (idempotent writes).
    again = _ctx(tmp_path, "again", range_s)
    _split_all(again, path)
    assert {k: again.jobs.store.get_bytes(v) for k, v in again.jobs.thumbnails().items()} == \
        {k: ctx.jobs.store.get_bytes(v) for k, v in thumbs.items()}


def test_the_sample_per_source_is_bounded(video, tmp_path, monkeypatch):
    from vidsift_splitter import stage

    monkeypatch.setattr(stage, "RejectedSample", lambda: RejectedSample(per_class=1))
    ctx = _ctx(tmp_path, "job")
    _split_all(ctx, video("pyscenedetect__testvideo.mp4"))
    rejected = _rejected(ctx)
    classes = {(l["op"], l["reason"].split(" ")[0]) for l in rejected.values()}
    assert len(rejected) > len(classes)  # more rejections than classes: the bound bites
    assert len(ctx.jobs.thumbnails()) == len(classes)
