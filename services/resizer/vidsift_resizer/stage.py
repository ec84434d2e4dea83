"""The resize stage: one accepted clip reference in, the same reference with ``resized`` out.

Every output of every resize op in the recipe comes from one ffmpeg run over the clip's span of the
source (never from an intermediate full-resolution cut). Outputs land on deterministic keys,
``clips/{clip_id}/{WxH}.mp4``; one that already exists is complete (storage writes are atomic) and
is not rewritten, so a redelivered message creates no second object.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections import OrderedDict

from vidsift import frameindex, layout
from vidsift.pipeline import StageContext
from vidsift.refs import ClipRef
from vidsift.storage import UNUSABLE_INPUT, LocalInput, NotFound, ObjectStat, check_unchanged, unusable_input_type
from vidsift.storage.blockcache import range_share

from .command import OutputSpec
from .encode import render_checked
from .geometry import Geometry
from .probe import cached_probe
from .span import plans

log = logging.getLogger(__name__)
STAGE = "resize"


def output_key(clip: ClipRef, spec: OutputSpec) -> str:
    return layout.clip_key(clip.id, spec.key)


def plan_outputs(ops, geom: Geometry) -> list[OutputSpec]:
    """Outputs of all resize ops in recipe order; a size asked for twice is written once (the first)."""
    specs: dict[str, OutputSpec] = {}
    for op in ops:
        for spec in op.outputs(geom):
            if spec.key in specs and specs[spec.key] != spec:
                log.warning("%s: output %s is already produced by an earlier resize op; keeping that one",
                            op.name, spec.key)
            specs.setdefault(spec.key, spec)
    return list(specs.values())


def resize_clip(clip: ClipRef, ctx: StageContext) -> list[ClipRef]:
    ops = ctx.ops(STAGE)
    op_name = ops[0].name if ops else None
    try:
        with ctx.open_input(clip.source.uri, STAGE, _share(ctx, clip.source.source_id)) as src:
            check_unchanged(clip.source.uri, ObjectStat(clip.source.size, clip.source.etag), src.stat, "it was split")
            resized = _materialise(clip, ctx, ops, src)
    except tuple(UNUSABLE_INPUT) as exc:
        reason = f"source gone since it was split: {exc}" if isinstance(exc, NotFound) else str(exc)
        ctx.jobs.reject_clip(clip, STAGE, op_name, reason, error_type=unusable_input_type(exc))
        return []
    return [clip.with_updates(resized=resized)]


_SHARES: OrderedDict[tuple[str, str], float] = OrderedDict()


def _share(ctx: StageContext, source_id: str) -> float:
    """The block share the source's range tasks used (blockcache.range_share), one plan read per source
    per process, not one per clip: a source's plan, or its absence, is settled before any of its clips
    exist (clips come from a whole-source split, or from range tasks after the plan is stored)."""
    key = (ctx.jobs.store.url, source_id)
    if key not in _SHARES:
        _SHARES[key] = range_share(ctx.jobs.load_plan(source_id))
        while len(_SHARES) > 1024:
            _SHARES.popitem(last=False)
    return _SHARES[key]


def _materialise(clip: ClipRef, ctx: StageContext, ops, src: LocalInput) -> dict[str, str]:
    store = ctx.jobs.store
    path = src.path  # a remote source's loopback URL: ffmpeg seeks with ranged reads (storage/mediaserver.py)
    identity = (clip.source.source_id, src.stat.size, src.stat.etag)
    probe = cached_probe(path, identity, lambda: frameindex.load(ctx.jobs, clip.source.source_id, clip.start_frame))
    specs = plan_outputs(ops, probe.geometry)
    missing = [s for s in specs if not store.exists(output_key(clip, s))]
    if missing:
        t0 = time.monotonic()
        span_plans = plans(probe, clip.start_frame, clip.end_frame, clip.source.frames, clip.fps, clip.start)
        with tempfile.TemporaryDirectory(prefix="vidsift-resize-", dir=_scratch(ctx)) as tmp:
            paths = [os.path.join(tmp, f"{s.key}.mp4") for s in missing]
            used = render_checked(path, span_plans, missing, paths, probe.has_audio)
            src.check()  # a failed ranged read is the storage's fault, not a bad render
            # One ffmpeg run serves every resize op, so its time is reported under the first.
            ctx.emit("op", STAGE, op=ops[0].name, seconds=time.monotonic() - t0)
            for spec, out in zip(missing, paths, strict=True):
                store.put_file(output_key(clip, spec), out, "video/mp4")
                ctx.emit("write", STAGE, bytes=os.path.getsize(out))
        log.debug("clip %s: %d outputs written, %d already stored (%s plan)", clip.id, len(missing),
                  len(specs) - len(missing), "seeking" if used.seek is not None else "decode-from-start")
    else:
        log.info("clip %s: all %d outputs already stored; nothing to do", clip.id, len(specs))
    return {s.key: store.uri(output_key(clip, s)) for s in specs}


def _scratch(ctx: StageContext) -> str:
    os.makedirs(ctx.settings.scratch_dir, exist_ok=True)
    return ctx.settings.scratch_dir
