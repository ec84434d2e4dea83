"""The caption stage: frames of each clip -> caption -> the clip's ``text`` (or a rejected record).

``caption_clip`` is the stage function the transports call (one clip per message);
``caption_clips`` takes several so a runner that holds many clips can fill a model batch.
Every caption's usage goes into ``clip.extra["caption"]`` (the manifest line's ``clip.caption``),
on rejected clips too, since a refused caption was still paid for.
"""

from __future__ import annotations

import time
from typing import Sequence

from vidsift.frames import load_frames
from vidsift.ops.base import Captioner
from vidsift.pipeline import StageContext
from vidsift.refs import ClipRef

from .frames import load_jpegs
from .ops.captioning import rejection_reason

STAGE = "caption"


def caption_clip(clip: ClipRef, ctx: StageContext) -> list[ClipRef]:
    return caption_clips([clip], ctx)


def caption_clips(clips: Sequence[ClipRef], ctx: StageContext) -> list[ClipRef]:
    survivors = list(clips)
    for op in ctx.ops(STAGE):
        if not isinstance(op, Captioner):
            raise TypeError(f"{op.name} is not a Captioner; the caption stage runs only those")
        survivors = _caption(op, survivors, ctx)
    return survivors


def _caption(op: Captioner, clips: list[ClipRef], ctx: StageContext) -> list[ClipRef]:
    if not clips:
        return []
    load = load_jpegs if op.frame_format == "jpeg" else load_frames
    request = op.frame_requests(op.params)[0]
    frames = [load(c, request, ctx.jobs.read_uri, ctx.settings) for c in clips]
    model = op.params.model + (f"@{op.params.revision}" if op.params.revision else "")
    t0 = time.monotonic()
    captions = op.caption(frames, on_load=lambda s: ctx.emit("model_load", STAGE, model=model, seconds=s),
                          settings=ctx.settings)
    per_clip = (time.monotonic() - t0) / len(clips)  # a batch's time, shared by its clips
    out = []
    for clip, caption in zip(clips, captions):
        usage = op.usage(caption)
        clip = clip.with_updates(extra={**clip.extra, "caption": usage})
        ctx.emit("op", STAGE, op=op.name, seconds=per_clip)
        ctx.emit("captioned", STAGE, clip=clip, **usage)
        reason = rejection_reason(caption)
        if reason:  # the record listeners count it; no event of its own
            ctx.jobs.reject_clip(clip, STAGE, op.name, reason)
        else:
            out.append(clip.with_updates(text=caption.text))
    return out


def check(recipe, settings=None) -> None:
    """The caption stage's preflight (``vidsift.preflight``): a local model loads now (and stays
    loaded for this process); an API answers one cheap request and takes the key."""
    from .backends import CaptionBackendError, get_backend
    from .backends.openai import check_server
    from .ops.captioning import with_base_url

    for op in recipe.build(STAGE):
        params = with_base_url(op.params, settings)
        try:
            if params.backend == "openai":
                check_server(params)
            else:
                get_backend(params)
        except CaptionBackendError as exc:
            raise CaptionBackendError(f"{op.name}: {exc}") from exc
        except Exception as exc:  # a model that cannot load, whatever the library raises
            raise CaptionBackendError(f"{op.name}: cannot load {params.backend} model {params.model!r}: "
                                      f"{type(exc).__name__}: {exc}") from exc


def preflight(pool: str = "threads", recipe_source: str | None = None) -> None:
    """Worker start: load the in-process (``hf``) caption models of ``VIDSIFT_CAPTIONER_RECIPE`` (a
    profile name or recipe file), so the worker is ready only once they are loaded and a model that
    cannot load stops it before it takes a message. Unset, or only API captioners: nothing to do (a
    server that is still starting must not fail the worker; jobs wait for it through their retries).

    ``threads``/``solo`` pools load here, in the main process, before the worker's metrics endpoint
    (its readiness) answers. A ``prefork`` pool loads in each child as it starts (Celery's
    ``worker_process_init``): CUDA initialised before a fork is unusable in the children.
    """
    import logging
    import os

    from vidsift.recipe import load_recipe

    source = recipe_source or os.environ.get("VIDSIFT_CAPTIONER_RECIPE")
    if not source:
        return
    local = [op.params for op in load_recipe(source).build(STAGE) if op.params.backend != "openai"]
    if not local:
        return

    def load(**_) -> None:
        from .backends import get_backend

        for params in local:
            t0 = time.monotonic()
            try:
                get_backend(params)
            except Exception as exc:  # whatever the library raises, one line at start
                raise SystemExit(f"vidsift captioner: cannot load {params.backend} model {params.model!r}: "
                                 f"{type(exc).__name__}: {exc}") from exc
            logging.getLogger(__name__).info("caption model %s loaded at start in %.1fs",
                                             params.model, time.monotonic() - t0)

    if pool == "prefork":
        from celery.signals import worker_process_init

        worker_process_init.connect(load, weak=False)
    else:
        load()
