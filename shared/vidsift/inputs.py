"""The one input expander of every command (`run`, `submit`, `analyze`): INPUT arguments become URIs.

An argument is a file, a directory (walked for video suffixes), a URI, ``@list.txt`` (one input a
line), an ``s3://bucket/prefix/`` (the video objects under it) or a URL table
(``.csv``/``.tsv``/``.parquet``/``.jsonl``, video2dataset's ``url_col``/``caption_col``/
``save_additional_columns``). A table row's caption and saved columns become the ``meta`` of the
clips cut from its video (``SourceRef.meta``; the manifest line's ``meta`` object).
"""

from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlparse

from .storage import canonical_uri

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".flv", ".wmv", ".mpg", ".mpeg",
                  ".ts", ".3gp", ".ogv", ".mts", ".m2ts"}
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")


class InputError(ValueError):
    """An INPUT argument that cannot be read as given (a table without its URL column, ...)."""


def is_video_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class TableColumns:
    """Which columns of a URL table say what (video2dataset's names: url_col, caption_col, save_additional_columns)."""

    url: str = "url"
    caption: str | None = None
    save: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.caption and self.caption != "caption" and "caption" in self.save:
            raise InputError("--save-cols names a column 'caption' and --caption-col is another column: "
                             "both would be meta.caption; rename one")

    def meta(self, row: dict[str, Any], where: str) -> dict[str, Any] | None:
        missing = [c for c in (self.caption, *self.save) if c and c not in row]
        if missing:
            raise InputError(f"{where}: no column {', '.join(map(repr, missing))} (columns: {', '.join(row)})")
        meta = {c: _jsonable(row[c]) for c in self.save}
        if self.caption:
            caption = row[self.caption]
            meta["caption"] = "" if caption is None else str(caption)
        return meta or None


@dataclass(frozen=True)
class Input:
    uri: str
    meta: dict[str, Any] | None = None  # a table row's caption and saved columns


def collect_inputs(args: list[str], settings: "Settings | None" = None,
                   columns: TableColumns | None = None) -> list[Input]:
    """Inputs in a stable order, each URI once (the first row or argument naming it wins)."""
    seen: dict[str, Input] = {}
    repeated = 0
    for item in _expand(list(args), settings, columns or TableColumns(), None):
        if item.uri in seen:
            repeated += item.meta is not None and item.meta != seen[item.uri].meta
            continue
        seen[item.uri] = item
    if repeated:
        log.warning("%d table row(s) repeat an earlier row's URL with other columns; the first row's are kept", repeated)
    return list(seen.values())


def expand_inputs(args: list[str], settings: "Settings | None" = None, columns: TableColumns | None = None) -> list[str]:
    """URIs in a stable order, duplicates removed (``collect_inputs`` without the rows' meta)."""
    return [i.uri for i in collect_inputs(args, settings, columns)]


def _expand(args: list[str], settings, columns: TableColumns, meta: dict | None) -> Iterator[Input]:
    for arg in args:
        if arg.startswith("@"):
            lines = Path(arg[1:]).read_text().splitlines()
            yield from _expand([l.strip() for l in lines if l.strip() and not l.startswith("#")], settings, columns, meta)
            continue
        scheme = urlparse(arg).scheme
        if scheme == "s3" and (arg.endswith("/") or not is_video_name(arg)):
            # A prefix: the video objects under it. A key that lists nothing goes on as given (an
            # object without a video suffix is still a video to try, a missing one a rejected input).
            listed = list(_list_s3(arg, settings))
            yield from (Input(u, meta) for u in listed or [arg])
            continue
        if "://" in arg and scheme != "file":
            # Any other URI goes on as given: a scheme vidsift does not allow (ftp://, gs://) becomes
            # a rejected input saying so, never a local path that happens to be missing.
            yield Input(arg, meta)
            continue
        path = Path(arg[7:] if arg.startswith("file://") else arg)
        if meta is None and path.suffix.lower() in TABLE_SUFFIXES and path.is_file():
            for where, row in read_table(path, columns):
                # A row's URL expands like an argument (a directory or prefix: each video gets the row).
                yield from _expand([str(row[columns.url]).strip()], settings, columns, columns.meta(row, where))
        elif path.is_dir():
            yield from (Input(canonical_uri(str(p)), meta) for p in sorted(path.rglob("*"))
                        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        else:
            # A missing file is still passed on: it becomes a rejected input with a clear reason.
            yield Input(canonical_uri(str(path)), meta)


def read_table(path: Path, columns: TableColumns) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) for each row of a URL table that has a URL; rows without one are skipped, counted."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        rows = _parquet_rows(path)
    elif suffix == ".jsonl":
        rows = (json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip())
    else:
        rows = _csv_rows(path, "\t" if suffix == ".tsv" else ",")
    blank = 0
    for n, row in enumerate(rows, 1):
        where = f"{path} row {n}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: not a JSON object")
        if columns.url not in row:
            raise InputError(f"{where}: no URL column {columns.url!r} (columns: {', '.join(row)}); "
                             "name it with --url-col")
        if row[columns.url] is None or not str(row[columns.url]).strip():
            blank += 1
            continue
        yield where, row
    if blank:
        log.warning("%s: %d row(s) without a URL in column %r skipped", path, blank, columns.url)


def _csv_rows(path: Path, delimiter: str) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh, delimiter=delimiter)


def _parquet_rows(path: Path) -> Iterator[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading a parquet table needs pyarrow: pip install 'vidsift[export]'") from None
    for batch in pq.ParquetFile(path).iter_batches():
        yield from batch.to_pylist()


def _jsonable(value: Any) -> Any:
    """A cell as JSON (a parquet timestamp or decimal becomes its string): meta crosses the broker."""
    return json.loads(json.dumps(value, default=str))


def _list_s3(uri: str, settings) -> Iterator[str]:
    from .config import load_settings
    from .storage.s3 import S3Storage, split_s3_url

    settings = settings or load_settings()
    bucket, prefix = split_s3_url(uri)
    store = S3Storage(f"s3://{bucket}", settings.s3_endpoint_url, settings.s3_region)
    for key in sorted(store.list(prefix)):
        if is_video_name(key):
            yield f"s3://{bucket}/{key}"
