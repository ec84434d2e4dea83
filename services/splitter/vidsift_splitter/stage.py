"""The split stage: one source reference in, clip references out (plain function, no transport)."""

from __future__ import annotations

import logging
import time

from vidsift import frameindex, layout
from vidsift.frames import encode_jpeg
from vidsift.jobs import clip_id
from vidsift.ops.base import Decision, Filter, MeasuredFilter, SpanMapper
from vidsift.ops.registry import op_class
from vidsift.outcomes import ErrorType
from vidsift.pipeline import StageContext
from vidsift.refs import ClipRef, FrameRef, SourceInfo, SourceRef
from vidsift.storage import UNUSABLE_INPUT, ObjectStat, check_unchanged, fingerprint, unusable_input_type
from vidsift.storage.blockcache import range_share

from .clip_builder import ClosedClip
from .errors import InputError
from .probe import Probe, probe
from .ranges import plan, scan_range
from .scan import ScanConfig, scan
from .thumbnails import RejectedSample

log = logging.getLogger(__name__)
STAGE = "split"


def frame_requests(ctx: StageContext):
    """Union of the sample frames every later op asks for (read from the recipe, no models loaded)."""
    reqs = []
    for spec in ctx.recipe.ops:
        if spec.stage != STAGE:
            for r in op_class(spec.name).frame_requests(spec.params):
                if r not in reqs:
                    reqs.append(r)
    return tuple(reqs)


def scan_config(ops, stats: dict, requests) -> ScanConfig:
    """The decode pass's settings: the span makers' options, and the measures and sample frames the
    clips need, unless a filter that judges the source's own stats (resolution) rejects every clip
    of it anyway (then nothing is measured or kept)."""
    cfg = {}
    for op in ops:
        if isinstance(op, SpanMapper):
            cfg.update(op.span_options())
    source_ok = all(op.decide(stats).keep for op in ops
                    if isinstance(op, Filter) and op.stat_keys and set(op.stat_keys) <= set(stats))
    measures = tuple(op.measure for op in ops if isinstance(op, MeasuredFilter)) if source_ok else ()
    return ScanConfig(requests=requests if source_ok else (), measures=measures, **cfg)


def first_rejection(filters: list[Filter], stats: dict) -> Decision | None:
    for f in filters:
        d = f.decide(stats)
        if not d.keep:
            return d
    return None


def split_source(ref: SourceRef, ctx: StageContext) -> list[ClipRef | SourceRef]:
    """Clip references of the source (or of its range); for a long source, its range references."""
    ops = ctx.ops(STAGE)
    validity_op = next((op.name for op in ops if op.name == "video_validity_filter"), None)
    try:
        planned = ctx.jobs.load_plan(ref.source_id) if ref.is_range and ref.source_id else None
        with ctx.open_input(ref.uri, STAGE, range_share(planned)) as src:
            if ref.is_range:
                return _split_range(ref, ctx, ops, src, ref.source_id or fingerprint(src), planned)
            source_id = fingerprint(src)
            done = ctx.jobs.load_source(source_id)
            planned = ctx.jobs.load_plan(source_id) if done is None else None
            if done is None and planned is None:
                return _split(ref, ctx, ops, src, source_id)
            split_uri, out = done if done is not None else (planned["uri"], _range_refs(ref, planned))
            if split_uri != ref.uri:
                # Clip ids come from the content: the clips exist once, under the first URI.
                ctx.jobs.reject_input(ref.uri, STAGE, None, f"same content as {split_uri} (source {source_id}), "
                                      "whose clips are in this job already", ErrorType.DUPLICATE_SOURCE)
                return []
            log.info("%s already %s (%d refs); re-publishing", ref.uri, "split" if done else "planned", len(out))
            return out
    except InputError as exc:
        ctx.jobs.reject_input(ref.uri, STAGE, validity_op, exc.message, exc.error_type)
    except tuple(UNUSABLE_INPUT) as exc:
        ctx.jobs.reject_input(ref.uri, STAGE, None, str(exc), unusable_input_type(exc))
    return []


class _Clips:
    """Closed clips -> clip references: rejections recorded, survivors' sample frames stored."""

    def __init__(self, ref: SourceRef, ctx: StageContext, ops, source_id: str, source_stats: dict):
        self.ref, self.ctx, self.source_id, self.source_stats = ref, ctx, source_id, source_stats
        self.filters = [op for op in ops if isinstance(op, Filter)]
        self.survivors: list[ClipRef] = []
        self.closed = 0
        self.thumbs = RejectedSample()  # what the report shows of the rejected clips

    def add(self, c: ClosedClip, info: SourceInfo) -> None:
        self.closed += 1
        ref = self.ref
        clip = ClipRef(job=ref.job, recipe_id=ref.recipe_id, id=clip_id(self.source_id, c.start, c.end, ref.recipe_id),
                       source=info, scene=c.scene, start_frame=c.start, end_frame=c.end, start=c.start_t, end=c.end_t,
                       stats=_stats(c, self.source_stats), **ref.clip_fields())
        rejection = c.rejection or first_rejection(self.filters, clip.stats)  # the splitter's own, else filters'
        if rejection is not None:
            self.ctx.jobs.reject_clip(clip, STAGE, rejection.op, rejection.reason)
            self.thumbs.offer(clip.id, rejection.op, rejection.reason, c.thumb)
            return
        self.survivors.append(clip.with_updates(frames=_store_frames(self.ctx, self.source_id, c)))


def _split(ref: SourceRef, ctx: StageContext, ops, src, source_id: str) -> list[ClipRef | SourceRef]:
    t0 = time.monotonic()
    range_s = ctx.settings.split_range_s

    def long(duration: float) -> bool:
        return 0 < range_s < duration

    # One open of the container: a source of up to range_s is demuxed whole there (key frames, frame
    # index); a longer one is probed from its header only, which is enough to plan it: it is never
    # demuxed whole (its range tasks demux their own parts), so split workers without a shared cache
    # read it about once.
    meta = probe(src.path, src.open, demux=lambda duration: not long(duration))
    if long(meta.duration):
        _, _, head_cfg = _prepare(src, ctx, ops, source_id, meta)
        ranges = plan(src.path, meta, head_cfg, range_s)
        if ranges is not None:  # a long source: range tasks instead of one long scan
            src.check()
            doc = {**ranges.to_doc(ref.uri), "probe": meta.to_doc(), "source_id": source_id,
                   "size": src.stat.size, "etag": src.stat.etag, "indexed": meta.indexed}
            ctx.jobs.save_plan(source_id, doc)
            ctx.emit("planned", STAGE, uri=ref.uri, ranges=len(ranges.ranges), seconds=time.monotonic() - t0)
            return _range_refs(ref, doc)
        meta = probe(src.path, src.open)  # one long task after all (not CFR, no detector): demux it whole
    meta, source_stats, cfg = _prepare(src, ctx, ops, source_id, meta)
    clips = _Clips(ref, ctx, ops, source_id, source_stats)
    opened: dict[str, SourceInfo] = {}

    def on_open(fps: float, width: int, height: int, frames: int) -> None:
        # Source facts known once the decoder is open; the decoded frame count is final at the end.
        opened["info"] = _info(ref, source_id, src, meta, width, height, fps, frames, meta.duration)

    result = scan(src.path, cfg, meta.keyframe_times, lambda c: clips.add(c, opened["info"]), on_open=on_open,
                  progress=_progress(ctx, ref))
    src.check()  # a remote read that failed mid-pass is a short pass, not the source's end
    info = _info(ref, source_id, src, meta, result.width, result.height, result.fps, result.frames,
                 result.frames / result.fps if result.fps else meta.duration)
    # Clips were built while the pass ran; give them the final source facts (frame count, size).
    survivors = [c.with_updates(source=info) for c in clips.survivors]
    if not clips.closed:  # nothing to reject clip by clip: the input itself gets the record
        _no_clips(ctx, ops, ref.uri, info)
    clips.thumbs.save(ctx.jobs, source_id)  # before the source counts as split
    ctx.jobs.save_source(info, survivors)
    ctx.emit("split", STAGE, uri=ref.uri, clips=len(survivors), scenes=len(result.scenes),
             dropped=result.dropped, seconds=time.monotonic() - t0)
    return survivors


def _prepare(src, ctx: StageContext, ops, source_id: str, meta: Probe | None = None):
    """(probe, source-level stats, scan config) of an opened source: container metadata, no decode.
    A probe that demuxed the whole source stores its frame index (for the resizer)."""
    if meta is None:
        meta = probe(src.path, src.open)
    if meta.index is not None:
        ctx.jobs.save_index(source_id, meta.index)
    source_stats = {"video_width": meta.width, "video_height": meta.height}
    return meta, source_stats, scan_config(ops, source_stats, frame_requests(ctx))


def _info(ref: SourceRef, source_id: str, src, meta, width: int, height: int, fps: float, frames: int,
          duration: float) -> SourceInfo:
    return SourceInfo(uri=ref.uri, source_id=source_id, size=src.stat.size, etag=src.stat.etag, width=width,
                      height=height, fps=fps, frames=frames, duration=duration, codec=meta.codec,
                      rotation=meta.rotation)


def _progress(ctx: StageContext, ref: SourceRef):
    return lambda done, total: ctx.emit("progress", STAGE, uri=ref.uri, done=done, total=total)


def _range_refs(ref: SourceRef, doc: dict) -> list[SourceRef]:
    return [SourceRef(job=ref.job, uri=ref.uri, recipe_id=ref.recipe_id, range_start=a, range_end=b, fps=doc["fps"],
                      source_id=doc.get("source_id"), meta=ref.meta) for a, b in doc["ranges"]]


def _split_range(ref: SourceRef, ctx: StageContext, ops, src, source_id: str,
                 doc: dict | None = None) -> list[ClipRef]:
    """One range task; ``doc`` is the source's plan when the caller has loaded it already."""
    done = ctx.jobs.load_range(source_id, ref.range_start)
    if done is not None:  # a redelivered range task: the same clips again, nothing written
        _finish_plan(ctx, ops, source_id)
        return [ClipRef.model_validate(c) for c in done["clips"]]
    doc = doc or ctx.jobs.load_plan(source_id)
    if doc is None or [ref.range_start, ref.range_end] not in doc["ranges"]:
        raise ValueError(f"{ref.uri}: range [{ref.range_start}, {ref.range_end}) is not in a stored plan "
                         f"of source {source_id} (the source changed, or the message was not the splitter's)")
    if "size" in doc:
        check_unchanged(ref.uri, ObjectStat(doc["size"], doc["etag"]), src.stat, "it was planned")
    t0 = time.monotonic()
    # The plan's probe: the range task reads only its own bytes (and the warm-up's), not the source.
    meta, source_stats, cfg = _prepare(src, ctx, ops, source_id, Probe.from_doc(doc["probe"]) if "probe" in doc else None)
    result, closed, first, part = scan_range(src.path, cfg, meta, doc["fps"], (ref.range_start, ref.range_end),
                                              progress=_progress(ctx, ref))
    if result.eof and result.frames != doc["frames"]:
        log.warning("%s: decoded %d frames, the plan counted %d; clip references keep the plan's count",
                    ref.uri, result.frames, doc["frames"])
    # Every range gives its clips the same source facts (the plan's frame count), as a whole pass would.
    info = _info(ref, source_id, src, meta, result.width, result.height, result.fps, doc["frames"],
                 doc["frames"] / result.fps)
    clips = _Clips(ref, ctx, ops, source_id, source_stats)
    src.check()
    for c in closed:
        clips.add(c, info)
    clips.thumbs.save(ctx.jobs, source_id)  # before the range counts as done
    ctx.jobs.save_range(source_id, ref.range_start, {
        "range": [ref.range_start, ref.range_end], "source": info.model_dump(mode="json"),
        "clips": [c.to_message() for c in clips.survivors], "closed": clips.closed, "first_frame": first,
        "scenes": [list(sc) for sc in result.scenes], "index": part})
    _finish_plan(ctx, ops, source_id)
    ctx.emit("split", STAGE, uri=ref.uri, clips=len(clips.survivors), scenes=len(result.scenes),
             dropped=result.dropped, seconds=time.monotonic() - t0)
    return clips.survivors


def _finish_plan(ctx: StageContext, ops, source_id: str) -> None:
    """Once every range is done, the source's document (as a whole pass writes it).

    Each range task checks after saving its own document; the last to save sees all of them.
    """
    if ctx.jobs.load_source(source_id) is not None:
        return
    doc = ctx.jobs.load_plan(source_id)
    parts = [ctx.jobs.load_range(source_id, a) for a, _ in doc["ranges"]]
    if any(p is None for p in parts):
        return
    info = SourceInfo.model_validate(parts[-1]["source"])
    if not sum(p["closed"] for p in parts):
        _no_clips(ctx, ops, doc["uri"], info)
    index = frameindex.join(doc, [p.get("index") for p in parts])  # the ranges' parts: one whole demux's
    if index is not None:
        ctx.jobs.save_index(source_id, index)
    ctx.jobs.save_source(info, [ClipRef.model_validate(c) for p in parts for c in p["clips"]])


def _no_clips(ctx: StageContext, ops, uri: str, info: SourceInfo) -> None:
    ctx.jobs.reject_input(uri, STAGE, _no_clip_op(ops), _no_clip_reason(ops, info), ErrorType.NO_CLIPS,
                          stats={"video_duration": round(info.duration, 6), "video_frames": info.frames})


def _piece_op(ops) -> SpanMapper | None:
    """The span maker that cuts fixed-length pieces (split by duration), if the recipe has one."""
    return next((op for op in ops if isinstance(op, SpanMapper) and "split_duration" in op.span_options()), None)


def _no_clip_op(ops) -> str | None:
    op = _piece_op(ops)
    return op.name if op else None


def _no_clip_reason(ops, info: SourceInfo) -> str:
    what = f"no clip: {info.frames} frame(s), {info.duration:.2f} s"
    op = _piece_op(ops)
    if info.frames and op is not None:  # every frame straddles a piece boundary (frames longer than a piece)
        return f"{what}: no frame fits in a {op.span_options()['split_duration']} s piece"
    return f"{what}: no frame could be decoded"


def _stats(c: ClosedClip, source_stats: dict) -> dict:
    return {"video_duration": round(c.end_t - c.start_t, 6), "video_frames": c.num_frames, **source_stats,
            **c.stats}


def _store_frames(ctx: StageContext, source_id: str, c: ClosedClip) -> tuple[FrameRef, ...]:
    keys = set(c.keyframes)
    refs = []
    for index in sorted(c.frames):
        uri = ctx.jobs.store.put_bytes_once(layout.frame_key(source_id, index), encode_jpeg(c.frames[index]), "image/jpeg")
        refs.append(FrameRef(index=index, t=_rel_t(c, index), key=index in keys, uri=uri))
    return tuple(refs)


def _rel_t(c: ClosedClip, index: int) -> float:
    n = c.num_frames
    return round((index - c.start) * (c.end_t - c.start_t) / n, 6) if n else 0.0
