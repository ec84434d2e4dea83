"""Run the one ffmpeg command for a clip and check what it wrote (the only process-running module)."""

from __future__ import annotations

import logging
import subprocess

from .command import OutputSpec, SpanPlan, build_command, output_frames
from .errors import ResizeError, stderr_tail

log = logging.getLogger(__name__)


def render(src: str, plan: SpanPlan, specs: list[OutputSpec], paths: list[str], has_audio: bool) -> list[str]:
    """Write every output; return the ways they differ from the specs (empty when all are right)."""
    cmd = build_command(src, plan, specs, paths, has_audio)
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise ResizeError(f"ffmpeg failed ({proc.returncode}) on {src}: {stderr_tail(proc.stderr)}")
    problems = []
    for spec, path in zip(specs, paths, strict=True):
        got = probe_output(path)
        want = (spec.width, spec.height, output_frames(plan, spec))
        if got != want:
            problems.append(f"{spec.key}: got {got[0]}x{got[1]} with {got[2]} frames, want "
                            f"{want[0]}x{want[1]} with {want[2]}")
    return problems


def probe_output(path: str) -> tuple[int, int, int]:
    """(width, height, frames) of a written output, counting packets (demux only, no decoding)."""
    proc = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                           "-show_entries", "stream=width,height,nb_read_packets", "-of", "csv=p=0", path],
                          capture_output=True, text=True)
    try:
        w, h, n = (int(x) for x in proc.stdout.strip().split(",")[:3])
    except ValueError:
        return 0, 0, 0
    return w, h, n


def render_checked(src: str, plans: list[SpanPlan], specs: list[OutputSpec], paths: list[str],
                   has_audio: bool) -> SpanPlan:
    """Try each plan in turn (indexed, then linear) until the outputs are exact; return the one used."""
    problems: list[str] = []
    for plan in plans:
        problems = render(src, plan, specs, paths, has_audio)
        if not problems:
            return plan
        log.warning("%s: %s plan gave %s; trying the next", src, "seeking" if plan.seek is not None else "linear",
                    "; ".join(problems))
    raise ResizeError(f"{src}: outputs are not exact: {'; '.join(problems)}")
