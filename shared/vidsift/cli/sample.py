"""`vidsift sample DIR`: a small synthetic sample made with ffmpeg (for machines without test videos)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import click

# Three scenes with real motion (cuts between them), a clip too small for the resolution filter,
# and a file that is not a video: every kind of outcome shows up in the run's outputs.
SCENES = ("[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p[v]", [
    "testsrc2=size=640x360:rate=24:duration=4",
    "mandelbrot=size=640x360:rate=24,trim=duration=4",
    "life=size=640x360:rate=24:mold=10:ratio=0.5:death_color=#202080,trim=duration=3",
])


def make_sample(out: Path) -> list[Path]:
    if not shutil.which("ffmpeg"):
        raise click.ClickException("ffmpeg is not installed (Debian: apt-get install ffmpeg)")
    out.mkdir(parents=True, exist_ok=True)
    made = []
    scenes = out / "scenes.mp4"
    if not scenes.exists():
        graph, sources = SCENES
        args = [a for src in sources for a in ("-f", "lavfi", "-i", src)]
        subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-filter_complex", graph, "-map", "[v]",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", str(scenes)], check=True)
    made.append(scenes)
    small = out / "too-small.mp4"
    if not small.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=2",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(small)], check=True)
    made.append(small)
    broken = out / "not-a-video.mp4"
    if not broken.exists():
        broken.write_bytes(os.urandom(4096))
    made.append(broken)
    return made


@click.command()
@click.argument("out", type=click.Path(file_okay=False))
def sample(out):
    """Write a small sample (three scenes, a too-small clip, a broken file) into OUT."""
    for path in make_sample(Path(out)):
        click.echo(str(path))
