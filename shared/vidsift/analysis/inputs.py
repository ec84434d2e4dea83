"""Expand ``vidsift analyze`` arguments into video URIs: files, directories, s3:// prefixes, @lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

from ..config import Settings
from ..storage import canonical_uri
from ..storage.file import file_url_to_path

# Directory walks and prefix listings keep only these; a file named explicitly is always probed,
# so a mislabelled video is still seen (and an unreadable one listed).
VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".wmv", ".mpg", ".mpeg", ".ts",
    ".mts", ".m2ts", ".3gp", ".ogv", ".vob",
})


def is_video_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def expand_inputs(args: Iterable[str], settings: Settings) -> list[str]:
    """URIs to probe, in argument order, each once. ``@FILE`` names a list of arguments, one a line."""
    seen: dict[str, None] = {}
    for arg in args:
        lines = _read_list(arg[1:]) if arg.startswith("@") else [arg]
        for item in lines:
            for uri in _expand_one(item, settings):
                seen.setdefault(uri, None)
    return list(seen)


def _read_list(path: str) -> list[str]:
    out = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _expand_one(item: str, settings: Settings) -> Iterator[str]:
    scheme = urlparse(item).scheme
    if scheme == "s3":
        yield from _expand_s3(item, settings)
    elif scheme in ("http", "https"):
        yield item
    else:
        path = file_url_to_path(item)
        if path.is_dir():
            for dirpath, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if is_video_name(name):
                        yield Path(dirpath, name).as_uri()
        else:
            # A missing file is passed on: probing lists it as unreadable rather than dropping it.
            yield canonical_uri(item)


def _expand_s3(uri: str, settings: Settings) -> Iterator[str]:
    from ..storage.s3 import S3Storage, split_s3_url

    bucket, key = split_s3_url(uri)
    if key and not key.endswith("/") and is_video_name(key):
        yield uri  # one object
        return
    store = S3Storage(f"s3://{bucket}", settings.s3_endpoint_url, settings.s3_region)
    for k in sorted(store.list(key)):
        if is_video_name(k):
            yield f"s3://{bucket}/{k}"
