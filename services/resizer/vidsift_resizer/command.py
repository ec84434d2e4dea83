"""The ffmpeg command that turns one clip span into every output in one decode (pure: builds argv).

    [0:v] select(span) -> setpts(constant rate) -> split -> per output: [fps] scale [pad|crop] -> x264

Only the span's frames pass ``select``; scaling happens after it, so frames outside the clip are
decoded but never scaled. ``-copyts`` keeps stream timestamps, so the select expression can use the
presentation times the frame index read from the container (see ``span``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from vidsift.storage.mediaserver import RECV_BUFFER

AUDIO_CODEC = ("-c:a", "aac", "-b:a", "128k")


@dataclass(frozen=True)
class OutputSpec:
    key: str  # "WxH": names the output file and the manifest's ``resized`` entry
    width: int
    height: int
    chain: str  # filters from a selected frame to the output frame (geometry.chain)
    fps: float | None  # None: the source's rate, one output frame per clip frame
    audio: bool
    crf: int
    preset: str


@dataclass(frozen=True)
class SpanPlan:
    select: str  # select-filter expression passing exactly the clip's frames
    frames: int  # the clip's frame count (end_frame - start_frame)
    rate: Fraction  # the source frame rate the clip's frames are laid out at
    seek: float | None = None  # -ss (a stream timestamp) at or before the first frame's key frame
    audio_start: float = 0.0  # stream time of the clip's first frame

    @property
    def duration(self) -> float:
        return float(self.frames / self.rate)


def rational(x: float | Fraction) -> Fraction:
    """A frame rate as a small rational: 29.97002997 -> 30000/1001 (exact CFR timestamps)."""
    return Fraction(x).limit_denominator(1001)


def output_rate(plan: SpanPlan, spec: OutputSpec) -> Fraction:
    return plan.rate if spec.fps is None else rational(spec.fps)


def output_frames(plan: SpanPlan, spec: OutputSpec) -> int:
    """Frames an output must have: the clip's count, or the same duration at the recipe's fps."""
    if spec.fps is None:
        return plan.frames
    return max(1, round(plan.frames * output_rate(plan, spec) / plan.rate))


def filtergraph(plan: SpanPlan, specs: list[OutputSpec], audio: bool) -> str:
    n = len(specs)
    # Renumber the selected frames 0, 1, 2... at the source rate: VFR sources become CFR with
    # every decoded frame kept, so frame count and duration agree exactly. The time base is set to
    # one frame first: in the stream's own (e.g. an AVI's 1/15 s) N/rate would round to duplicates.
    head = f"[0:v:0]select='{plan.select}',settb={1 / plan.rate},setpts=N"
    parts = [head + (f",split={n}" + "".join(f"[s{i}]" for i in range(n)) if n > 1 else "[s0]")]
    for i, spec in enumerate(specs):
        resample = f"fps={output_rate(plan, spec)}," if spec.fps is not None else ""
        parts.append(f"[s{i}]{resample}{spec.chain}[v{i}]")
    if audio:
        with_audio = [i for i, s in enumerate(specs) if s.audio]
        m = len(with_audio)
        trim = f"[0:a:0]atrim=start={plan.audio_start:.6f}:duration={plan.duration:.6f},asetpts=PTS-STARTPTS"
        parts.append(trim + (f",asplit={m}" if m > 1 else "") + "".join(f"[a{i}]" for i in with_audio))
    return ";".join(parts)


def build_command(src: str, plan: SpanPlan, specs: list[OutputSpec], paths: list[str],
                  has_audio: bool, ffmpeg: str = "ffmpeg") -> list[str]:
    audio = has_audio and any(s.audio for s in specs)
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-copyts"]
    if plan.seek is not None:
        # Input seeking lands on a key frame at or before -ss; no accurate-seek trim, because
        # select (not ffmpeg's seek) decides which frames belong to the clip.
        cmd += ["-seek_timestamp", "1", "-noaccurate_seek", "-ss", f"{plan.seek:.6f}"]
    if src.startswith(("http://", "https://")):
        # A remote source through the loopback media server: a small socket buffer, so the bytes read
        # past the clip's end before ffmpeg closes the connection stay few (docs/data-path.md).
        cmd += ["-recv_buffer_size", str(RECV_BUFFER)]
    cmd += ["-i", src, "-filter_complex", filtergraph(plan, specs, audio)]
    for i, (spec, path) in enumerate(zip(specs, paths, strict=True)):
        cmd += ["-map", f"[v{i}]"]
        cmd += ["-map", f"[a{i}]", *AUDIO_CODEC] if audio and spec.audio else ["-an"]
        cmd += ["-c:v", "libx264", "-preset", spec.preset, "-crf", str(spec.crf), "-pix_fmt", "yuv420p",
                "-r", str(output_rate(plan, spec)), "-fps_mode", "passthrough",
                # The cap also ends the run: ffmpeg stops reading once every output is complete.
                "-frames:v", str(output_frames(plan, spec)),
                "-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", path]
    return cmd
