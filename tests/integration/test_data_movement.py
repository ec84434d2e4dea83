"""What crosses the network, on a real S3 server, counted by a proxy in front of it (tests/movement.py):
the split reads each source about once, resize reads about what the accepted spans need, range tasks
read their own part, and a source larger than the scratch budget still splits and resizes, with the
same clips as a run on the local file."""

from __future__ import annotations

import subprocess
import threading
import uuid

import pytest

from tests.infra import TESTDATA
from tests.movement import RECIPE, packets, run_distributed, run_embedded, span_bytes, upload
from vidsift.config import Settings
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage
from vidsift_splitter.stage import split_source

pytestmark = pytest.mark.integration

# A faststart 1080p source (index first) and one with its index at the end: 41 + 3 accepted clips.
VIDEOS = ["video2dataset__test_video.mp4", "cosmoscurate__test_clip_10s.mp4"]


def _clips(manifest):
    return {(l["clip"]["id"], l["clip"]["start_frame"], l["clip"]["end_frame"]) for l in manifest}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The same recipe on the local files: the clips every remote run must give."""
    if not TESTDATA.is_dir():
        pytest.skip(f"test videos not found at {TESTDATA}")
    import json

    from tests.infra import vidsift_exe

    tmp = tmp_path_factory.mktemp("local")
    (tmp / "recipe.yaml").write_text(RECIPE)
    subprocess.run([vidsift_exe(), "run", *[str(TESTDATA / v) for v in VIDEOS], "--out", str(tmp / "out"),
                    "--recipe", str(tmp / "recipe.yaml"), "--no-progress"], check=True, capture_output=True)
    return [json.loads(l) for l in (tmp / "out" / "manifest.jsonl").read_text().splitlines() if l.strip()]


def test_distributed_split_reads_each_source_once_and_resize_only_the_spans(s3_server, rabbitmq_url, tmp_path,
                                                                             local_run):
    m = run_distributed(s3_server, rabbitmq_url, [TESTDATA / v for v in VIDEOS], tmp_path)
    assert m.clips > 20
    assert _clips(m.manifest) == _clips(local_run)  # the same clips, ids and spans as from local files
    assert m.read["split"] <= 1.05 * m.source_bytes, m
    assert 0 < m.read["resize"] <= 2 * m.span_bytes, m


def test_a_source_larger_than_the_scratch_budget_still_splits_and_resizes(s3_server, tmp_path, local_run):
    budget = 4 * 65536
    scratch = tmp_path / "scratch-embedded" / "vidsift-blocks"
    peak = [0]
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            if scratch.exists():
                peak[0] = max(peak[0], sum(f.stat().st_size for f in scratch.rglob("*") if f.is_file()))

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        # The 10 s source (index at the end): 6.7 times the budget, and few clips to resize.
        m = run_embedded(s3_server, [TESTDATA / VIDEOS[1]], tmp_path,
                         VIDSIFT_SCRATCH_MAX_BYTES=str(budget), VIDSIFT_READ_BLOCK_BYTES="65536")
    finally:
        done.set()
        t.join()
    assert m.source_bytes > 6 * budget
    assert m.clips and _clips(m.manifest) == _clips(l for l in local_run if l["clip"]["source"].endswith(VIDEOS[1]))
    assert 0 < peak[0] <= budget
    # vidsift's own account (the read events behind vidsift_read_bytes_total) agrees with the proxy's.
    moved = m.summary["data_movement"]
    assert moved["remote_source_bytes"] == m.source_bytes
    assert sum(moved["read_bytes"].values()) == m.read["all"]
    assert set(moved["read_bytes"]) == {"split", "resize"}
    # A cache smaller than a source: the split's demux and decode each stream it.
    assert moved["read_per_source_byte"] > 1.5


def test_a_range_task_reads_its_range_not_the_source(s3_server, tmp_path, monkeypatch):
    """A 60 s CFR source (15 MB) in ranges of 10 s: each range task, with a cache of its own (another
    node), reads what it decodes (warm-up, range, the scene open at its end) and the header, no more."""
    src = tmp_path / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", str(TESTDATA / VIDEOS[1]), "-vf",
                    "scale=640:360,fps=25", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-g", "50", "-pix_fmt",
                    "yuv420p", "-an", "-movflags", "+faststart", str(src)], check=True)
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    [uri] = upload(s3_server, [src], f"long-{uuid.uuid4().hex[:6]}")
    recipe = load_recipe(RECIPE)
    jobs = JobStore(FileStorage(str(tmp_path / "job")), "t")
    jobs.save_recipe(recipe)

    def ctx(name, read):
        settings = Settings(s3_endpoint_url=s3_server.endpoint, scratch_dir=str(tmp_path / name), split_range_s=10)
        return StageContext(settings, jobs, recipe,
                            observer=lambda e, s, d: read.append(d["bytes"]) if e == "read" else None)

    planned: list[int] = []
    ranges = split_source(SourceRef(job="t", uri=uri, recipe_id=recipe.id), ctx("plan", planned))
    assert len(ranges) >= 5 and all(isinstance(r, SourceRef) and r.is_range for r in ranges)
    size = src.stat().st_size
    rows = packets(src)
    header = min(r["pos"] for r in rows)  # ftyp + moov
    # Reads are whole blocks (64 KiB here): a block either side of the decoded span and of the header,
    # and what the decoder's read-ahead and the socket buffers held when it stopped.
    slack = 8 * (64 << 10)
    total = 0
    for r in ranges:
        read: list[int] = []
        split_source(r, ctx(f"range-{uuid.uuid4().hex[:6]}", read))
        # What this range decoded: from its warm-up's first frame to the end of the last scene it owns
        # (a longer warm-up, when the first could not be certified, counts: it was decoded).
        doc = jobs.load_range(r.source_id, r.range_start)
        last = max(end for _, end in doc["scenes"])
        decoded = span_bytes(rows, doc["first_frame"] / r.fps, last / r.fps)
        # OpenCV's frame seek may land a key frame or two before the warm-up's (it decodes forward to
        # the frame asked for): up to a quarter more than the decoded span.
        print(f"range {r.range_start}-{r.range_end}: read {sum(read)} bytes, decoded span {decoded}")
        assert 0 < sum(read) <= 1.25 * decoded + header + slack, (r, sum(read), decoded)
        total += sum(read)
    assert len(list(jobs.store.list("sources/"))) == 1  # every range done: the source is split
    assert total < 2.2 * size  # the ranges together: their parts, warm-ups and tails, not a source each
