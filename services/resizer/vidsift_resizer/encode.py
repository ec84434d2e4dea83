"""Run the one ffmpeg command for a clip and check what it wrote (size, frame count, faststart)."""

from __future__ import annotations

import logging
import subprocess

from .command import OutputSpec, SpanPlan, build_command, output_frames
from .errors import ResizeError, stderr_tail
from .mp4 import read_video

log = logging.getLogger(__name__)


def render(src: str, plan: SpanPlan, specs: list[OutputSpec], paths: list[str], has_audio: bool) -> list[str]:
    """Write every output; return the ways they differ from the specs (empty when all are right)."""
    cmd = build_command(src, plan, specs, paths, has_audio)
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise ResizeError(f"ffmpeg failed ({proc.returncode}) on {src}: {stderr_tail(proc.stderr)}")
    problems = []
    errors = proc.stderr.decode(errors="replace").strip()
    if plan.seek is not None and errors:
        # A key frame that is not a clean entry point decodes into garbage with the right frame
        # count (imageio__cockatoo.mp4); the decoder says so, and the linear plan is used instead.
        problems.append(f"decoder errors after seeking to {plan.seek}: {errors.splitlines()[0]}")
    for spec, path in zip(specs, paths, strict=True):
        got = probe_output(path)
        want = (spec.width, spec.height, output_frames(plan, spec))
        if got != want:
            problems.append(f"{spec.key}: got {got[0]}x{got[1]} with {got[2]} frames, want "
                            f"{want[0]}x{want[1]} with {want[2]}")
    return problems


def probe_output(path: str) -> tuple[int, int, int]:
    """(width, height, frames) of a written output; zeros when it is not a faststart MP4."""
    v = read_video(path)
    return (v.width, v.height, v.frames) if v and v.faststart else (0, 0, 0)


def render_checked(src: str, plans: list[SpanPlan], specs: list[OutputSpec], paths: list[str],
                   has_audio: bool) -> SpanPlan:
    """Try each plan in turn (indexed, then linear) until the outputs are exact; return the one used."""
    problems: list[str] = []
    for i, plan in enumerate(plans, 1):
        problems = render(src, plan, specs, paths, has_audio)
        if not problems:
            return plan
        log.warning("%s: plan %d of %d (select %s) gave %s", src, i, len(plans), plan.select, "; ".join(problems))
    raise ResizeError(f"{src}: outputs are not exact: {'; '.join(problems)}")
