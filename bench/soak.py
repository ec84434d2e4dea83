"""Soak: a generated corpus through the distributed workers, then through `vidsift run`, on loopback.

    .venv/bin/python bench/soak.py [--size small|full] [--short N --long N --long-minutes M]
                                   [--timeout S] [--corpus DIR] [--cpus 0,1]

The corpus is made with ffmpeg from lavfi generators (seeded, so the same flags give the same bytes):
short sources of 5-20 s made of 1.5-8 s segments with hard cuts between them, at several resolutions,
frame rates, containers, with and without audio and with the MP4 index at either end; and long 720p
sources (``full``: 400 short + 3 x 10 min, a benchmark run, not CI; ``small``: 12 short + 1 x 2 min).
Everything is uploaded to a SeaweedFS S3 server on loopback and submitted as one job to one
`vidsift worker STAGE` per stage (split, score, resize, caption), each with its own scratch directory,
metrics port and a counting proxy in front of S3 (tests/movement.py), on a RabbitMQ virtual host of its
own (created and deleted here, so other users of the broker neither see nor take its messages). The
same S3 inputs then go through `vidsift run` with as many source processes as cores, pinned to the same
cores, for the wall-time ratio (issue 12's target: distributed <= 1.15x embedded).

Measured, and where from:
- videos/min: sources / wall time (submit to the last record; embedded: the `vidsift run` process);
- clips/s per stage: the workers' Prometheus metrics (vidsift_stage_tasks_total,
  vidsift_stage_outputs_total, vidsift_clips_total, vidsift_stage_duration_seconds), scraped every 2 s;
- broker messages/s: published and delivered, summed over the virtual host's queues (RabbitMQ
  management API), else the metrics' count (sources + references passed on);
- peak RSS of each worker's process tree (psutil, every second), first quarter vs last quarter of the
  run, flagged at >= 10% growth;
- S3 bytes: input bytes read counted by each worker's proxy; bytes written = the objects the job left
  in S3 (a listing), and the media bytes the workers say they wrote;
- per-clip latency: a clip record's S3 Last-Modified minus the submit time (all sources are submitted
  at once, so this includes queueing), and minus the time its source's split document was written
  (SeaweedFS gives Last-Modified in whole seconds: +-1 s).

The soak stops by itself: a fixed corpus and --timeout for each mode. Every process it starts (S3,
proxies, workers, `vidsift run`) is stopped on exit, Ctrl-C or an exception.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "shared")]

import psutil  # noqa: E402 - after sys.path gets the repo
import requests  # noqa: E402 - after sys.path gets the repo

from tests.infra import ensure_rabbitmq, env_with, free_port, start_s3, vidsift_exe, wait_for  # noqa: E402 - after sys.path gets the repo
from tests.movement import RECIPE as MOVEMENT_RECIPE, CountingProxy, upload  # noqa: E402 - after sys.path gets the repo

STAGES = ("split", "score", "resize", "caption")
# (short sources, long sources, long minutes, timeout seconds per mode)
SIZES = {"small": (12, 1, 2.0, 1800), "full": (400, 3, 10.0, 3 * 3600)}
MIB = 1 << 20
MGMT = "http://127.0.0.1:15672/api"
MGMT_AUTH = ("guest", "guest")

# Generators: moving ones (motion filter passes) and static ones (rejected by motion), all cheap to
# render; mandelbrot and life are costly per pixel, so only at small sizes.
GENERATORS = {
    "testsrc2": "testsrc2=size={s}:rate={r}",
    "testsrc": "testsrc=size={s}:rate={r}",
    "bars": "smptebars=size={s}:rate={r},scroll=h=0.004:v=0.002",
    "cellauto": "cellauto=size={s}:rate={r}:rule=110",
    "color": "color=c={c}:size={s}:rate={r}",
    "mandelbrot": "mandelbrot=size={s}:rate={r}",
    "life": "life=size={s}:rate={r}:mold=10:ratio=0.3:life_color=#00ff00:death_color=#c83232",
}
SMALL_ONLY = {"mandelbrot", "life"}
COLORS = ("navy", "darkred", "olive", "teal", "gray", "orange")
RESOLUTIONS = ((640, 360), (854, 480), (1280, 720), (1920, 1080), (320, 240), (480, 480), (720, 1280))
RATES = ("24", "25", "30", "30000/1001", "50")


# corpus ----------------------------------------------------------------------------------------
@dataclass
class Spec:
    name: str
    width: int
    height: int
    rate: str
    segments: list  # [generator, seconds, colour]
    audio: bool
    faststart: bool


def plan_corpus(seed: int, n_short: int, n_long: int, long_minutes: float) -> list[Spec]:
    rng = random.Random(seed)

    def segments(total: float, lo: float, hi: float, small: bool) -> list:
        out, left, last = [], total, None
        while left > 0.5:
            gens = [g for g in GENERATORS if g != last and (small or g not in SMALL_ONLY)]
            g = rng.choice(gens)
            d = round(min(left, rng.uniform(lo, hi)), 2)
            out.append([g, d, rng.choice(COLORS)])
            left, last = left - d, g
        return out

    specs = []
    for i in range(n_short):
        w, h = rng.choice(RESOLUTIONS)
        ext = "mkv" if rng.random() < 0.15 else "mp4"
        specs.append(Spec(f"short-{i:04d}.{ext}", w, h, rng.choice(RATES), segments(rng.uniform(5, 20), 1.5, 8, w * h <= 854 * 480),
                          rng.random() < 0.5, rng.random() < 0.5))
    for i in range(n_long):
        specs.append(Spec(f"long-{i:02d}.mp4", 1280, 720, rng.choice(("25", "30")),
                          segments(long_minutes * 60, 3, 30, False), i % 2 == 0, True))
    return specs


def encode(spec: Spec, path: Path) -> None:
    size = f"{spec.width}x{spec.height}"
    cmd = ["ffmpeg", "-v", "error", "-y"]
    chains = []
    for i, (g, d, c) in enumerate(spec.segments):
        cmd += ["-f", "lavfi", "-i", GENERATORS[g].format(s=size, r=spec.rate, c=c)]
        chains.append(f"[{i}:v]trim=duration={d},setpts=PTS-STARTPTS,setsar=1,format=yuv420p[v{i}]")
    n = len(spec.segments)
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    total = sum(d for _, d, _ in spec.segments)
    if spec.audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={total}"]
    cmd += ["-filter_complex", graph, "-map", "[v]"]
    if spec.audio:
        cmd += ["-map", f"{n}:a", "-c:a", "aac", "-b:a", "64k"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-threads", "2", "-t", str(total),
            "-fflags", "+bitexact", "-flags:v", "+bitexact"]
    if spec.faststart and path.suffix == ".mp4":
        cmd += ["-movflags", "+faststart"]
    tmp = path.with_name(path.name + ".part" + path.suffix)
    subprocess.run(cmd + [str(tmp)], check=True)
    tmp.rename(path)


def make_corpus(directory: Path, specs: list[Spec]) -> list[Path]:
    """Encode what is missing; a directory made for other flags is refused, not mixed."""
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / "corpus.json"
    want = json.dumps([asdict(s) for s in specs], sort_keys=True)
    if index.exists() and index.read_text() != want:
        raise SystemExit(f"{directory} holds a corpus made with other flags; use another --corpus")
    index.write_text(want)
    paths = []
    for k, spec in enumerate(specs, 1):
        path = directory / spec.name
        if not path.exists():
            t0 = time.monotonic()
            encode(spec, path)
            print(f"  [{k}/{len(specs)}] {spec.name} {spec.width}x{spec.height}@{spec.rate} "
                  f"{sum(d for _, d, _ in spec.segments):.0f}s in {time.monotonic() - t0:.0f}s", file=sys.stderr)
        paths.append(path)
    return paths


def recipe_text(name: str) -> str:
    """`local-cpu`: the local profile without its model filters (they read stored frames, not sources,
    and their weights are not what a soak of the data path is about); `movement`: tests/movement.py's."""
    if name == "movement":
        return MOVEMENT_RECIPE
    if name != "local-cpu":
        return Path(name).read_text()
    from vidsift.recipe import load_recipe

    rec = load_recipe("local")
    return json.dumps({"process": [{s.name: s.params.model_dump(mode="json")} for s in rec.ops if s.stage != "score"]})


# sampling --------------------------------------------------------------------------------------
class Sampler:
    """Every `period` s: the RSS of each named process tree (psutil) and, if given, metrics pages."""

    def __init__(self, period: float = 1.0):
        self.period, self.trees, self.rss, self.metrics_urls = period, {}, {}, {}
        self.scrapes: list[tuple[float, dict]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, name: str, pid: int, metrics_url: str | None = None) -> None:
        self.trees[name] = pid
        self.rss[name] = []
        if metrics_url:
            self.metrics_urls[name] = metrics_url

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        tick = 0
        while not self._stop.is_set():
            now = time.time()
            for name, pid in list(self.trees.items()):
                total = tree_rss(pid)
                if total:
                    self.rss[name].append((now, total))
            if self.metrics_urls and tick % 2 == 0:
                self.scrapes.append((now, {n: scrape(u) for n, u in self.metrics_urls.items()}))
            tick += 1
            self._stop.wait(self.period)


def tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def scrape(url: str) -> dict:
    """{(name, frozenset(labels)): value} of one metrics page; {} when it does not answer."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = requests.get(url, timeout=5).text
    except requests.RequestException:
        return {}
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def total(page: dict, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lab), v in page.items() if n == name and want <= lab)


# infrastructure ---------------------------------------------------------------------------------
def make_vhost(stack: ExitStack) -> str:
    """A RabbitMQ virtual host for this soak (management API, else rabbitmqctl), deleted on exit."""
    vhost = f"vidsift-soak-{uuid.uuid4().hex[:8]}"
    try:
        requests.put(f"{MGMT}/vhosts/{vhost}", auth=MGMT_AUTH, timeout=10).raise_for_status()
        requests.put(f"{MGMT}/permissions/{vhost}/guest", auth=MGMT_AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        stack.callback(lambda: requests.delete(f"{MGMT}/vhosts/{vhost}", auth=MGMT_AUTH, timeout=30))
    except requests.RequestException:
        subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=True, capture_output=True)
        stack.callback(lambda: subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True))
        subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True)
    return vhost


def queue_stats(vhost: str) -> dict | None:
    """{queue: (published, delivered)} from the management API; None without it."""
    try:
        r = requests.get(f"{MGMT}/queues/{quote(vhost, safe='')}", auth=MGMT_AUTH, timeout=10)
        r.raise_for_status()
    except requests.RequestException:
        return None
    return {q["name"]: (q.get("message_stats", {}).get("publish", 0), q.get("message_stats", {}).get("deliver_get", 0))
            for q in r.json()}


def consumers_ready(vhost: str) -> bool:
    try:
        qs = requests.get(f"{MGMT}/queues/{quote(vhost, safe='')}", auth=MGMT_AUTH, timeout=10).json()
    except requests.RequestException:
        return True  # no management API: the metrics endpoints answering is all we can check
    ready = {q["name"] for q in qs if q.get("consumers", 0) > 0}
    return all(f"vidsift.{s}" in ready for s in STAGES)


def spawn(procs: list, cmd: list[str], env: dict, log: Path, cpus: set[int]) -> subprocess.Popen:
    """A process in its own session (Ctrl-C reaches only us), pinned to `cpus`; added to `procs`,
    which the caller stops with `stop_all` (registered before the first spawn)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    procs.append(proc)
    return proc


def stop_all(procs: list, grace: float = 20) -> None:
    """SIGTERM every process group (a Celery worker finishes its task and stops), then SIGKILL what is left
    (pool children included): each group is the session `spawn` started."""
    for p in procs:
        _signal_group(p, signal.SIGTERM)
    deadline = time.time() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        _signal_group(p, signal.SIGKILL)
        p.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def s3_client(s3):
    import boto3
    from botocore.config import Config

    env = s3.env()
    return boto3.client("s3", endpoint_url=s3.endpoint, aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


def listing(client, bucket: str, prefix: str) -> dict[str, tuple[float, int]]:
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix):]] = (o["LastModified"].timestamp(), o["Size"])
    return out


class JobWatch:
    """JobStore.outstanding's rule on direct S3 listings, reading each source document once."""

    def __init__(self, client, bucket: str, root: str, uris: list[str]):
        from vidsift import layout
        from vidsift.jobs import input_record_id

        self.layout = layout
        self.client, self.bucket, self.root = client, bucket, root
        self.inputs = {input_record_id(u): u for u in uris}
        self.split: dict[str, tuple[float, list[str]]] = {}  # uri -> (document time, clip ids passed on)
        self._seen: set[str] = set()

    def outstanding(self) -> list[str]:
        sources = self.root + self.layout.SOURCES
        for key, (t, _) in listing(self.client, self.bucket, sources).items():
            if key not in self._seen:
                body = self.client.get_object(Bucket=self.bucket, Key=sources + key)["Body"].read()
                doc = json.loads(body)
                self.split[doc["source"]["uri"]] = (t, [c["id"] for c in doc["clips"]])
                self._seen.add(key)
        done = {self.layout.record_id_of(k) for k in listing(self.client, self.bucket, self.root + self.layout.RECORDS)}
        return [u for rid, u in self.inputs.items()
                if rid not in done and (u not in self.split or not set(self.split[u][1]) <= done)]


# the two modes ---------------------------------------------------------------------------------
def run_distributed(s3, uris: list[str], inputs: str, recipe: Path, work: Path, cpus: set[int],
                    split_concurrency: int, timeout: float, extra_env: dict) -> dict:
    run = uuid.uuid4().hex[:8]
    from vidsift import layout

    job = f"soak-{run}"
    root = layout.job_url(f"run-{run}", job) + "/"
    client = s3_client(s3)
    with ExitStack() as stack:
        vhost = make_vhost(stack)
        broker = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
        base = env_with(VIDSIFT_BROKER_URL=broker, VIDSIFT_STORAGE_URL=f"s3://{s3.bucket}/run-{run}",
                        **s3.env(), **extra_env)
        sampler = Sampler()
        proxies, ports, procs = {}, {}, []
        stack.callback(stop_all, procs)
        for stage in STAGES:
            proxies[stage] = CountingProxy(s3.endpoint, f"/{s3.bucket}/{inputs}/")
            stack.callback(proxies[stage].stop)
            scratch = work / f"scratch-{stage}"
            scratch.mkdir(parents=True, exist_ok=True)
            ports[stage] = free_port()
            env = dict(base, VIDSIFT_SCRATCH_DIR=str(scratch), VIDSIFT_S3_ENDPOINT_URL=proxies[stage].endpoint,
                       VIDSIFT_METRICS_PORT=str(ports[stage]))
            c = split_concurrency if stage == "split" else 1
            proc = spawn(procs, [vidsift_exe(), "worker", stage, "-c", str(c), "--loglevel", "WARNING"],
                         env, work / f"worker-{stage}.log", cpus)
            sampler.watch(stage, proc.pid, f"http://127.0.0.1:{ports[stage]}/metrics")
        wait_for(lambda: all(scrape(f"http://127.0.0.1:{p}/metrics") for p in ports.values()), 120, "worker metrics")
        wait_for(lambda: consumers_ready(vhost), 120, "a consumer on every stage queue")
        stack.callback(sampler.stop)
        sampler.start()
        t0 = time.time()
        subprocess.run([vidsift_exe(), "submit", *uris, "--job", job, "--recipe", str(recipe)],
                       env=dict(base, VIDSIFT_S3_ENDPOINT_URL=s3.endpoint), check=True, capture_output=True)
        watch = JobWatch(client, s3.bucket, root, uris)
        deadline, left = t0 + timeout, uris
        while time.time() < deadline:
            left = watch.outstanding()
            if not left:
                break
            time.sleep(2 if len(uris) < 100 else 5)
        t1 = time.time()
        if left:
            print(f"distributed: timed out after {timeout:.0f}s with {len(left)} inputs outstanding", file=sys.stderr)
        time.sleep(6)  # the broker's statistics are emitted every 5 s; one last scrape after the last task
        final = {s: scrape(f"http://127.0.0.1:{p}/metrics") for s, p in ports.items()}
        broker_stats = queue_stats(vhost)
        sampler.stop()
        objects = listing(client, s3.bucket, f"run-{run}/")
    return {"t0": t0, "t1": t1, "timed_out": bool(left), "outstanding": len(left), "final": final,
            "scrapes": sampler.scrapes, "rss": sampler.rss, "broker": broker_stats,
            "read": {s: p.bytes for s, p in proxies.items()}, "gets": {s: p.gets for s, p in proxies.items()},
            "objects": objects, "root": layout.job_prefix(job) + "/", "split": watch.split}


def run_embedded(s3, uris: list[str], inputs: str, recipe: Path, work: Path, cpus: set[int], workers: int,
                 timeout: float, extra_env: dict) -> dict:
    out, scratch = work / "embedded", work / "scratch-embedded"
    scratch.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        proxy = CountingProxy(s3.endpoint, f"/{s3.bucket}/{inputs}/")
        stack.callback(proxy.stop)
        env = env_with(**s3.env(), **extra_env)
        env.update(VIDSIFT_S3_ENDPOINT_URL=proxy.endpoint, VIDSIFT_SCRATCH_DIR=str(scratch))
        sampler, procs = Sampler(), []
        stack.callback(stop_all, procs)
        t0 = time.time()
        proc = spawn(procs, [vidsift_exe(), "run", *uris, "--out", str(out), "--recipe", str(recipe),
                             "--workers", str(workers), "--no-progress"], env, work / "embedded.log", cpus)
        sampler.watch("embedded", proc.pid)
        stack.callback(sampler.stop)
        sampler.start()
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
            print(f"embedded: timed out after {timeout:.0f}s", file=sys.stderr)
        t1 = time.time()
        sampler.stop()
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    if rc not in (0, None):
        print(f"embedded: vidsift run exited {rc}; see {work / 'embedded.log'}", file=sys.stderr)
    return {"t0": t0, "t1": t1, "rc": rc, "summary": summary, "rss": sampler.rss["embedded"],
            "read": proxy.bytes, "gets": proxy.gets}


# report ----------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def rss_quarters(samples: list[tuple[float, int]], t0: float, t1: float) -> tuple[int, int, int]:
    q = (t1 - t0) / 4
    first = [r for t, r in samples if t <= t0 + q]
    last = [r for t, r in samples if t >= t1 - q]
    return max((r for _, r in samples), default=0), max(first, default=0), max(last, default=0)


def active_window(scrapes: list, stage: str) -> float:
    """Seconds from the first scrape where `stage` had started a task to the last where its count moved."""
    seen = [(t, total(p.get(stage, {}), "vidsift_stage_tasks_total")) for t, p in scrapes]
    moving = [t for (t, n), (_, prev) in zip(seen[1:], seen) if n != prev]
    started = [t for t, p in scrapes if total(p.get(stage, {}), "vidsift_stage_tasks_total")
               or total(p.get(stage, {}), "vidsift_tasks_in_progress")]
    return (max(moving) - min(started)) if moving and started else 0.0


def report(args, specs, paths, dist, emb, cores) -> None:
    wall = dist["t1"] - dist["t0"]
    ewall = emb["t1"] - emb["t0"]
    src_bytes = sum(p.stat().st_size for p in paths)
    seconds = sum(sum(d for _, d, _ in s.segments) for s in specs)
    f = dist["final"]
    outcomes = {o: sum(total(f[s], "vidsift_clips_total", outcome=o) for s in STAGES)
                for o in ("accepted", "rejected", "failed")}
    es = emb["summary"]
    # Records of clips (not of inputs: those are `src-...`), timed by their S3 Last-Modified.
    from vidsift.layout import RECORDS, record_id_of

    records = {record_id_of(k): t for k, (t, _) in dist["objects"].items() if k.startswith(dist["root"] + RECORDS)}
    clip_times = {k: t for k, t in records.items() if not k.startswith("src-")}
    clips = len(clip_times)
    e2e = [t - dist["t0"] for t in clip_times.values()]
    # Clips the split passed on, timed from their source's split document (for a source split in
    # ranges, written by its last range: its earlier ranges' clips can finish before it).
    after_split = [clip_times[i] - t for t, ids in dist["split"].values() for i in ids if i in clip_times]
    written = sum(size for _, size in dist["objects"].values())
    media_written = sum(total(f[s], "vidsift_written_bytes_total") for s in STAGES)
    read_in = sum(dist["read"].values())

    print(f"## Soak: {len(specs)} sources ({sum(s.name.startswith('short') for s in specs)} short, "
          f"{sum(s.name.startswith('long') for s in specs)} long of {args.long_minutes:g} min), "
          f"{seconds / 60:.1f} min of video, {src_bytes / MIB:.1f} MiB; {cores} cores; recipe {args.recipe}")
    print()
    print("| mode | wall s | videos/min | video s per wall s | clips (accepted / rejected / failed) | input MiB read | per source byte | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    dist_peak = sum(max((r for _, r in v), default=0) for v in dist["rss"].values())
    layout = " + ".join(f"{s} -c {args.split_concurrency if s == 'split' else 1}" for s in STAGES)
    print(f"| distributed ({layout}) "
          f"| {wall:.1f} | {len(specs) / wall * 60:.1f} | {seconds / wall:.2f} "
          f"| {outcomes['accepted']:.0f} / {outcomes['rejected']:.0f} / {outcomes['failed']:.0f} "
          f"| {read_in / MIB:.1f} | {read_in / src_bytes:.3f} | {dist_peak / MIB:.0f} (sum of peaks) |")
    print(f"| embedded (`vidsift run --workers {args.embedded_workers}`) | {ewall:.1f} | {len(specs) / ewall * 60:.1f} "
          f"| {seconds / ewall:.2f} | {es.get('accepted_clips', '?')} / {es.get('rejected_clips', '?')} / "
          f"{sum(es.get('failed_clips', {}).values()) if es else '?'} | {emb['read'] / MIB:.1f} "
          f"| {emb['read'] / src_bytes:.3f} | {max((r for _, r in emb['rss']), default=0) / MIB:.0f} |")
    print()
    ratio = wall / ewall
    print(f"Distributed / embedded wall time: **{ratio:.2f}x** (target <= 1.15x: {'met' if ratio <= 1.15 else 'NOT met'})"
          + ("; distributed TIMED OUT" if dist["timed_out"] else "") + ("; embedded TIMED OUT" if emb["rc"] is None else ""))
    print()
    print("| stage | tasks | clips handled | clips/s (job wall) | clips/s (stage active) | busy s | busy / wall | input MiB read (proxy) | GETs | media MiB read / written (metrics) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in STAGES:
        page = f[s]
        tasks = total(page, "vidsift_stage_tasks_total")
        # The split handles the clips it cuts: those it decided and those its source documents pass on
        # (its outputs count range references sent back to its own queue too); later stages, their tasks.
        handled = (total(page, "vidsift_clips_total", stage="split") + sum(len(ids) for _, ids in dist["split"].values())
                   if s == "split" else tasks)
        busy = total(page, "vidsift_stage_duration_seconds_sum")
        act = active_window(dist["scrapes"], s)
        print(f"| {s} | {tasks:.0f} | {handled:.0f} | {handled / wall:.2f} | {handled / act if act else float('nan'):.2f} "
              f"| {busy:.0f} | {busy / wall:.2f} | {dist['read'][s] / MIB:.1f} | {dist['gets'][s]} "
              f"| {total(page, 'vidsift_read_bytes_total') / MIB:.1f} / {total(page, 'vidsift_written_bytes_total') / MIB:.1f} |")
    print()
    b = dist["broker"]
    if b:
        pub = sum(p for p, _ in b.values())
        dlv = sum(d for _, d in b.values())
        src = "RabbitMQ management API, the soak's own virtual host"
    else:
        dlv = sum(total(f[s], "vidsift_stage_tasks_total") for s in STAGES)
        pub = len(specs) + sum(total(f[s], "vidsift_stage_outputs_total") for s in STAGES)
        src = "worker metrics: sources + references passed on / tasks run"
    print(f"| broker | messages | per s | per clip |\n|---|---|---|---|\n"
          f"| published | {pub} | {pub / wall:.2f} | {pub / max(clips, 1):.2f} |\n"
          f"| delivered | {dlv} | {dlv / wall:.2f} | {dlv / max(clips, 1):.2f} |")
    print(f"\n(from the {src})\n")
    print("| worker | peak RSS MiB | first-quarter peak | last-quarter peak | growth | |")
    print("|---|---|---|---|---|---|")
    for name, samples in list(dist["rss"].items()) + [("embedded", emb["rss"])]:
        t0, t1 = (emb["t0"], emb["t1"]) if name == "embedded" else (dist["t0"], dist["t1"])
        peak, first, last = rss_quarters(samples, t0, t1)
        growth = last / first - 1 if first else float("nan")
        print(f"| {name} | {peak / MIB:.0f} | {first / MIB:.0f} | {last / MIB:.0f} | {growth:+.1%} "
              f"| {'GROWS (>= 10%)' if growth >= 0.10 else 'flat'} |")
    print()
    per = max(clips, 1)
    print("| per clip (distributed) | value |\n|---|---|")
    print(f"| clip records | {clips} |")
    print(f"| S3 input bytes read per clip (KiB) | {read_in / 1024 / per:.1f} |")
    print(f"| S3 bytes written per clip (KiB; objects the job left: {len(dist['objects'])}) | {written / 1024 / per:.1f} |")
    print(f"| media bytes written per clip (KiB; workers' metrics) | {media_written / 1024 / per:.1f} |")
    print(f"| latency submit -> record p50 / p95 (s) | {pct(e2e, 50):.1f} / {pct(e2e, 95):.1f} |")
    if after_split:
        print(f"| latency source split -> record p50 / p95 (s) | {pct(after_split, 50):.1f} / {pct(after_split, 95):.1f} |")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--short", type=int, help="short sources (5-20 s); default from --size")
    ap.add_argument("--long", type=int, help="long 720p sources; default from --size")
    ap.add_argument("--long-minutes", type=float, help="length of each long source")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--timeout", type=float, help="seconds per mode (default: 30 min small, 3 h full)")
    ap.add_argument("--corpus", type=Path, help="keep the corpus here (reused when the flags match)")
    ap.add_argument("--recipe", default="local-cpu", help="local-cpu (default), movement, or a YAML file")
    ap.add_argument("--cpus", help="CPU list both modes are pinned to, e.g. 0,1 (default: this process's)")
    ap.add_argument("--split-concurrency", type=int, help="split worker processes (default: one per core)")
    ap.add_argument("--embedded-workers", type=int, help="`vidsift run --workers` (default: one per core)")
    ap.add_argument("--split-range-s", type=float,
                    help="VIDSIFT_SPLIT_RANGE_S for both modes (default: small 60, so its long source is split "
                         "in range tasks as a 10-minute one is at the default 300; full: vidsift's default)")
    ap.add_argument("--skip-embedded", action="store_true")
    args = ap.parse_args()
    n_short, n_long, minutes, timeout = SIZES[args.size]
    args.short = n_short if args.short is None else args.short
    args.long = n_long if args.long is None else args.long
    args.long_minutes = minutes if args.long_minutes is None else args.long_minutes
    timeout = args.timeout or timeout
    cpus = {int(c) for c in args.cpus.split(",")} if args.cpus else os.sched_getaffinity(0)
    args.split_concurrency = args.split_concurrency or len(cpus)
    args.embedded_workers = args.embedded_workers or len(cpus)
    if args.split_range_s is None and args.size == "small":
        args.split_range_s = 60
    extra_env = {"VIDSIFT_SPLIT_RANGE_S": f"{args.split_range_s:g}"} if args.split_range_s is not None else {}

    # Ctrl-C and SIGTERM unwind, so every ExitStack below stops what it started (SIGINT explicitly too:
    # a shell starts background jobs with it ignored, and Python then keeps it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    specs = plan_corpus(args.seed, args.short, args.long, args.long_minutes)
    with tempfile.TemporaryDirectory(prefix="vidsift-soak-") as tmp:
        tmp = Path(tmp)
        print(f"corpus: {len(specs)} sources", file=sys.stderr)
        paths = make_corpus(args.corpus or tmp / "corpus", specs)
        recipe = tmp / "recipe.yaml"
        recipe.write_text(recipe_text(args.recipe))
        ensure_rabbitmq()
        s3 = start_s3(tmp / "s3")
        try:
            inputs = f"inputs-{uuid.uuid4().hex[:8]}"
            uris = upload(s3, paths, inputs)
            print("distributed ...", file=sys.stderr)
            dist = run_distributed(s3, uris, inputs, recipe, tmp / "dist", cpus, args.split_concurrency,
                                   timeout, extra_env)
            if args.skip_embedded:
                emb = {"t0": 0, "t1": float("nan"), "rc": None, "summary": {}, "rss": [], "read": 0, "gets": 0}
            else:
                print("embedded ...", file=sys.stderr)
                emb = run_embedded(s3, uris, inputs, recipe, tmp / "emb", cpus, args.embedded_workers, timeout,
                                   extra_env)
        finally:
            s3.stop()
        report(args, specs, paths, dist, emb, len(cpus))


if __name__ == "__main__":
    main()
