"""WebDataset shards of a job's accepted clips (``vidsift export --format webdataset``).

One sample per clip, keyed by its clip id (hex, no dots, so WebDataset's key/extension split is
unambiguous): ``{id}.{WxH}.mp4`` per resized target (``{id}.mp4`` when one ``--target`` is chosen),
``{id}.json`` (the manifest line) and ``{id}.txt`` (the caption, the line's ``text``). Shards are plain
POSIX tar files written with the standard library — the reader is the trainer's business; the
``webdataset`` package only reads them back in the tests. Members have fixed owners, modes and times,
so the same job gives the same bytes; each shard is written to a temp name and renamed.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import layout
from .storage.file import UMASK

SHARD_PATTERN = "shard-{:06d}.tar"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class ShardError(ValueError):
    pass


@dataclass(frozen=True)
class ShardSize:
    """A shard closes before the sample that would pass ``samples`` or ``bytes`` (one of the two set)."""

    samples: int | None = None
    bytes: int | None = None

    @classmethod
    def parse(cls, text: str) -> "ShardSize":
        """'1000' (samples) or '500MB', '1GiB', '2e9B'-style sizes with a unit (bytes)."""
        m = _SIZE.match(str(text))
        if not m or float(m.group(1)) <= 0:
            raise ShardError(f"--shard-size {text!r}: a number of samples (1000) or a size with a unit (500MB, 1GiB)")
        number, unit = m.groups()
        if unit is None:
            if "." in number:
                raise ShardError(f"--shard-size {text!r}: a number of samples is a whole number")
            return cls(samples=int(number))
        return cls(bytes=int(float(number) * _UNITS[unit.lower()]))

    def full(self, samples: int, size: int, next_size: int) -> bool:
        if samples == 0:
            return False  # a sample larger than the limit still gets a shard of its own
        if self.samples is not None:
            return samples >= self.samples
        return size + next_size > self.bytes


Sample = list[tuple[str, bytes]]  # (member name, content)


def videos_of(line: dict, target: str | None = None) -> list[tuple[str, str]]:
    """(tar member, resized target) of a manifest line's videos; ShardError if it has none to export."""
    clip = line["clip"]
    resized = clip.get("resized") or {}
    if target is not None:
        if target not in resized:
            raise ShardError(f"clip {clip['id']} has no {target} video (it has: {', '.join(resized) or 'none'}); "
                             "choose another --target")
        return [(f"{clip['id']}.mp4", target)]
    if not resized:
        raise ShardError(f"clip {clip['id']} has no resized video: a webdataset export needs a recipe that "
                         "resizes (a resize op)")
    return [(f"{clip['id']}.{name}.mp4", name) for name in sorted(resized)]


def check(lines: Iterable[dict], target: str | None = None) -> None:
    """Raise ShardError before any shard is written if a clip has nothing to export."""
    for line in lines:
        videos_of(line, target)


def sample_of(line: dict, read: Callable[[str], bytes], target: str | None = None) -> Sample:
    """A manifest line's tar members. ``read(key)`` returns a stored clip (``clips/{id}/{WxH}.mp4``, the
    resizer's key: read by key, not by the URI in the line, so a moved run directory still exports)."""
    clip = line["clip"]
    members = [(member, read(layout.clip_key(clip["id"], name))) for member, name in videos_of(line, target)]
    members.append((f"{clip['id']}.json", json.dumps(line, sort_keys=True, ensure_ascii=False).encode()))
    members.append((f"{clip['id']}.txt", (line.get("text") or "").encode()))
    return members


def _tar_size(sample: Sample) -> int:
    """Bytes a sample adds to a tar: a 512-byte header per member, content padded to 512."""
    return sum(512 + -(-len(data) // 512) * 512 for _, data in sample)


def write_shards(samples: Iterable[Sample], out_dir: Path, size: ShardSize) -> list[dict]:
    """Write the samples into ``out_dir/shard-NNNNNN.tar``; stale shards of an earlier export with higher
    numbers are removed. Returns one ``{"name", "samples", "bytes"}`` per shard."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shards: list[dict] = []
    writer: _ShardWriter | None = None
    for sample in samples:
        n = _tar_size(sample)
        if writer is None or size.full(writer.samples, writer.size, n):
            if writer is not None:
                shards.append(writer.close())
            writer = _ShardWriter(out_dir, SHARD_PATTERN.format(len(shards)))
        writer.add(sample)
    if writer is not None:
        shards.append(writer.close())
    keep = {s["name"] for s in shards}
    for old in out_dir.glob("shard-*.tar"):
        if old.name not in keep:
            old.unlink()
    return shards


def shard_url(out_dir: Path, shards: list[dict]) -> str:
    """The brace pattern WebDataset (and video2dataset's readers) open: ``DIR/shard-{000000..000012}.tar``."""
    if len(shards) == 1:
        return str(out_dir / shards[0]["name"])
    return str(out_dir / "shard-{{{:06d}..{:06d}}}.tar".format(0, len(shards) - 1))


class _ShardWriter:
    def __init__(self, out_dir: Path, name: str):
        self.path = out_dir / name
        fd, self.tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.")
        os.fchmod(fd, 0o666 & ~UMASK)
        self.fh = os.fdopen(fd, "wb")
        self.tar = tarfile.open(fileobj=self.fh, mode="w", format=tarfile.USTAR_FORMAT)
        self.samples = 0
        self.size = 0

    def add(self, sample: Sample) -> None:
        for name, data in sample:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            self.tar.addfile(info, io.BytesIO(data))
        self.samples += 1
        self.size += _tar_size(sample)

    def close(self) -> dict:
        self.tar.close()
        self.fh.close()
        os.replace(self.tmp, self.path)
        return {"name": self.path.name, "samples": self.samples, "bytes": self.path.stat().st_size}


def iter_samples(lines: Iterable[dict], read: Callable[[str], bytes], target: str | None) -> Iterator[Sample]:
    for line in lines:
        yield sample_of(line, read, target)
