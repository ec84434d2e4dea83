"""What crosses the network, on a real S3 server, counted by a proxy in front of it (tests/movement.py):
the split reads each source about once, resize reads about what the accepted spans need, range tasks
read their own part, and a source larger than the scratch budget still splits and resizes, with the
same clips as a run on the local file."""

from __future__ import annotations

import subprocess
import threading

import pytest

from tests.infra import TESTDATA
from tests.movement import RECIPE, long_source, packets, run_distributed, run_embedded, split_in_ranges

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


def test_range_tasks_on_separate_nodes_read_the_source_about_once(s3_server, tmp_path, monkeypatch):
    """A 60 s CFR source (15 MB) in ranges of 20 s, the planning task and each range task with an empty
    cache of its own (split workers on separate nodes). Planning reads the header, not the source (no
    demux: each range task demuxes its own window); each range task reads what it decodes (warm-up,
    range, the scene open at its end) and the header; together about the source once, plus what two
    tasks decode both by design (a warm-up, a scene's tail)."""
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    src = long_source(tmp_path / "long.mp4", 60, TESTDATA / VIDEOS[1])
    m = split_in_ranges(s3_server, src, tmp_path, range_s=20)
    assert len(m.ranges) >= 3
    size, rows = m.source_bytes, packets(src)
    header = min(r["pos"] for r in rows)  # ftyp + moov
    # Reads are whole blocks (64 KiB here): a block either side of the decoded span and of the header,
    # and what the decoder's read-ahead and the socket buffers held when it stopped.
    slack = 8 * (64 << 10)
    keys = [r["pos"] for r in rows if r["key"]] + [size]
    gop = max(b - a for a, b in zip(keys, keys[1:]))
    # Planning: the fingerprint's first and last MiB (the header among them), whatever the source's length.
    assert m.plan <= (2 << 20) + header + slack, m.plan
    for r in m.ranges:
        # OpenCV's frame seek may land a key frame or two before the warm-up's (it decodes forward to
        # the frame asked for): up to a quarter more than the decoded span.
        print(f"range {r['range']}: read {r['read']} bytes, decoded span {r['decoded']}")
        assert 0 < r["read"] <= 1.25 * r["decoded"] + header + slack, r
    print(f"split stage: {m.split} bytes of a {size} byte source ({m.split / size:.3f}x; plan {m.plan}, "
          f"decoded by two tasks {m.overlap})")
    # Together: the source once (5% for blocks), what two tasks decode both (warm-ups, scene tails), and
    # per task a header, its blocks' rounding and the GOP before its warm-up that OpenCV's seek decodes.
    assert m.split <= 1.05 * size + m.overlap + m.plan + len(m.ranges) * (header + slack + gop), m
