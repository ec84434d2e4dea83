"""Expand ``vidsift analyze`` arguments into video URIs.

Files, directories and @lists are expanded exactly as for ``vidsift run`` (``vidsift.inputs``); on
top of that an s3:// prefix (ending in '/' or not naming a video) is listed, since a collection to
analyse usually lives under one.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator
from urllib.parse import urlparse

from ..config import Settings
from ..inputs import VIDEO_SUFFIXES
from ..inputs import expand_inputs as expand_run_inputs


def is_video_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_SUFFIXES


def expand_inputs(args: Iterable[str], settings: Settings) -> list[str]:
    """URIs to probe, in argument order, each once."""
    out: list[str] = []
    for uri in expand_run_inputs(list(args)):
        if urlparse(uri).scheme == "s3" and (uri.endswith("/") or not is_video_name(uri)):
            out.extend(_list_s3(uri, settings))
        else:
            out.append(uri)  # a missing file is kept: probing lists it as unreadable
    return list(dict.fromkeys(out))


def _list_s3(uri: str, settings: Settings) -> Iterator[str]:
    from ..storage.s3 import S3Storage, split_s3_url

    bucket, prefix = split_s3_url(uri)
    store = S3Storage(f"s3://{bucket}", settings.s3_endpoint_url, settings.s3_region)
    for key in sorted(store.list(prefix)):
        if is_video_name(key):
            yield f"s3://{bucket}/{key}"
