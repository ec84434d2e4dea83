"""Expand the INPUT arguments of `vidsift run` / `submit`: files, directories, URIs, @list files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from .storage import canonical_uri

VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".flv", ".wmv", ".mpg", ".mpeg",
                  ".ts", ".3gp", ".ogv", ".mts", ".m2ts"}


def expand_inputs(args: list[str]) -> list[str]:
    """URIs in a stable order, duplicates removed. Directories are walked for video suffixes."""
    out: list[str] = []
    for arg in args:
        if arg.startswith("@"):
            lines = Path(arg[1:]).read_text().splitlines()
            out.extend(expand_inputs([l.strip() for l in lines if l.strip() and not l.startswith("#")]))
            continue
        scheme = urlparse(arg).scheme
        if "://" in arg and scheme != "file":
            # Any other URI goes on as given: a scheme vidsift does not allow (ftp://, gs://) becomes
            # a rejected input saying so, never a local path that happens to be missing.
            out.append(arg)
            continue
        path = Path(arg[7:] if arg.startswith("file://") else arg)
        if path.is_dir():
            out.extend(canonical_uri(str(p)) for p in sorted(path.rglob("*"))
                       if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        else:
            # A missing file is still passed on: it becomes a rejected input with a clear reason.
            out.append(canonical_uri(str(path)))
    return list(dict.fromkeys(out))
