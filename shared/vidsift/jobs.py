"""A job's artifacts in storage, and its records (one JSON object per clip or failed input).

Where each artifact lives under the job root is ``vidsift.layout``'s alone to say. Writes are
idempotent: the same clip always lands on the same key with the same content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from . import layout
from .config import Settings
from .outcomes import is_failure
from .recipe import Recipe, recipe_from_json
from .refs import ClipRef, SourceInfo, SourceRef
from .storage import Storage, open_storage


def clip_id(source_id: str, start_frame: int, end_frame: int, recipe_id: str) -> str:
    key = f"{source_id}:{start_frame}:{end_frame}:{recipe_id}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def input_record_id(uri: str) -> str:
    return "src-" + hashlib.sha256(uri.encode()).hexdigest()[:24]


def record_id(ref: SourceRef | ClipRef) -> str:
    """The key of the final record a reference ends in: its clip id, or its input's (a source or range)."""
    return ref.id if isinstance(ref, ClipRef) else input_record_id(ref.uri)


def clip_line(clip: ClipRef) -> dict[str, Any]:
    """The data-juicer style manifest line of a clip. A clip from a URL table's row has the row's
    caption and saved columns as ``meta`` (its ``text`` is that caption unless a captioner replaced it);
    every other per-stage entry of ``extra`` goes under ``clip``."""
    videos = [next(iter(clip.resized.values()))] if clip.resized else [clip.source.uri]
    extra = {k: v for k, v in clip.extra.items() if k != "meta"}
    return {
        "videos": videos,
        "text": clip.text,
        "__dj__stats__": dict(clip.stats),
        "clip": {
            "id": clip.id,
            "job": clip.job,
            "source": clip.source.uri,
            "source_id": clip.source.source_id,
            "start_frame": clip.start_frame,
            "end_frame": clip.end_frame,
            "start": round(clip.start, 6),
            "end": round(clip.end, 6),
            "fps": clip.source.fps,
            "scene": clip.scene,
            "frames": [f.uri for f in clip.frames],
            **({"resized": dict(clip.resized)} if clip.resized else {}),
            **extra,
        },
        **({"meta": clip.extra["meta"]} if "meta" in clip.extra else {}),
    }


# A record listener sees every final record written: (status, manifest line). Metrics and progress
# bars subscribe here, so no stage has to report its outcomes twice.
RecordListener = Callable[[str, dict], None]


@dataclass
class JobStore:
    store: Storage
    job: str
    listeners: list[RecordListener] = field(default_factory=list)

    def read_uri(self, uri: str) -> bytes:
        """Read an artifact of this job by its URI (e.g. a sample frame listed in a ClipRef)."""
        prefix = self.store.url + "/"
        if not uri.startswith(prefix):
            raise ValueError(f"{uri!r} is not an artifact of this job's storage ({self.store.url})")
        return self.store.get_bytes(uri[len(prefix):])

    # recipe -----------------------------------------------------------------------------
    def save_recipe(self, recipe: Recipe) -> None:
        self.store.put_bytes_once(layout.RECIPE, recipe.to_json().encode(), "application/json")

    def load_recipe(self, expected_id: str | None = None) -> Recipe:
        recipe = recipe_from_json(self.store.get_bytes(layout.RECIPE).decode())
        if expected_id and recipe.id != expected_id:
            raise ValueError(
                f"job {self.job}: stored recipe is {recipe.id}, message expects {expected_id}; "
                "use a new job id for a new recipe"
            )
        return recipe

    # sources ----------------------------------------------------------------------------
    def save_source(self, info: SourceInfo, clips: list[ClipRef]) -> None:
        doc = {"source": info.model_dump(mode="json"), "clips": [c.to_message() for c in clips]}
        self.store.put_bytes(layout.source_key(info.source_id), _dumps(doc), "application/json")

    def load_source(self, source_id: str) -> tuple[str, list[ClipRef]] | None:
        """(the URI it was split from, its clip references), or None if not split yet."""
        doc = self._load(layout.source_key(source_id))
        return None if doc is None else (doc["source"]["uri"], [ClipRef.model_validate(c) for c in doc["clips"]])

    # ranges of a long source (planned by the split stage) -------------------------------------
    def save_index(self, source_id: str, doc: dict) -> None:
        """The source's frame index (every video packet's time, key frames), from the split's demux:
        later stages map a frame span to stream times without reading the source again."""
        self.store.put_bytes_once(layout.index_key(source_id), _dumps(doc), "application/json")

    def load_index(self, source_id: str) -> dict | None:
        return self._load(layout.index_key(source_id))

    def save_plan(self, source_id: str, doc: dict) -> None:
        self.store.put_bytes(layout.plan_key(source_id), _dumps(doc), "application/json")

    def load_plan(self, source_id: str) -> dict | None:
        return self._load(layout.plan_key(source_id))

    def save_range(self, source_id: str, start: int, doc: dict) -> None:
        self.store.put_bytes(layout.range_key(source_id, start), _dumps(doc), "application/json")

    def load_range(self, source_id: str, start: int) -> dict | None:
        return self._load(layout.range_key(source_id, start))

    def _load(self, key: str) -> dict | None:
        return json.loads(self.store.get_bytes(key)) if self.store.exists(key) else None

    def outstanding(self, uris: list[str]) -> list[str]:
        """Inputs not yet fully accounted for: not split yet, or with clips still in flight.

        A source split in ranges has its ``sources/`` document only once every range is done (the
        last range task to finish writes it), so until then it is outstanding like an unsplit one.
        """
        split: dict[str, list[str]] = {}
        for key in self.store.list(layout.SOURCES):
            doc = json.loads(self.store.get_bytes(key))
            split[doc["source"]["uri"]] = [c["id"] for c in doc["clips"]]
        done = {layout.record_id_of(k) for k in self.store.list(layout.RECORDS)}
        return [u for u in uris
                if input_record_id(u) not in done and (u not in split or not set(split[u]) <= done)]

    # thumbnails of rejected clips (the report's contact sheets) -----------------------------
    def save_thumbnail(self, source_id: str, clip_id: str, jpeg: bytes) -> str:
        return self.store.put_bytes_once(layout.thumb_key(source_id, clip_id), jpeg, "image/jpeg")

    def thumbnails(self) -> dict[str, str]:
        """{clip id: storage key} of every stored thumbnail."""
        return {k.rsplit("/", 1)[-1][:-4]: k for k in self.store.list(layout.THUMBS) if k.endswith(".jpg")}

    # records ----------------------------------------------------------------------------
    def has_record(self, record_id: str) -> bool:
        return self.store.exists(layout.record_key(record_id))

    def accept(self, clip: ClipRef) -> None:
        self._write(clip.id, {"status": "accepted", "line": clip_line(clip)})

    def reject_clip(self, clip: ClipRef, stage: str, op: str | None, reason: str,
                    stats: dict | None = None, error_type: str | None = None) -> None:
        line = clip_line(clip)
        line["__dj__stats__"].update(stats or {})
        line.update(stage=stage, op=op, reason=reason)
        if error_type:
            line["error_type"] = error_type
        self._write(clip.id, {"status": "rejected", "line": line})

    def reject_input(self, uri: str, stage: str, op: str | None, reason: str, error_type: str,
                     stats: dict | None = None) -> None:
        line = {"source": uri, "stage": stage, "op": op, "reason": reason, "error_type": error_type,
                "__dj__stats__": stats or {}}
        self._write(input_record_id(uri), {"status": "rejected", "line": line})

    def record_failure(self, ref: SourceRef | ClipRef, stage: str, reason: str, error_type: str) -> None:
        """A reference that could not be processed: its input's record (a source, or one of its ranges),
        or its clip's, unless the clip already has one (an earlier delivery finished it)."""
        if isinstance(ref, SourceRef):
            self.reject_input(ref.uri, stage, None, reason, error_type)
        elif not self.has_record(ref.id):
            self.reject_clip(ref, stage, None, reason, error_type=error_type)

    def _write(self, record_id: str, doc: dict) -> None:
        self.store.put_bytes(layout.record_key(record_id), _dumps(doc), "application/json")
        for listener in self.listeners:
            listener(doc["status"], doc["line"])

    def forget_failures(self) -> int:
        """Delete the records of failed inputs and clips (``--retry-failed``), so they are processed
        again; decisions (rejections, no_clips, duplicate_source) stay. Returns how many."""
        n = 0
        for key in list(self.store.list(layout.RECORDS)):
            if layout.record_id_of(key) is None:
                continue
            doc = json.loads(self.store.get_bytes(key))
            if doc.get("status") == "rejected" and is_failure(doc["line"]):
                self.store.delete(key)
                n += 1
        return n

    def records(self) -> Iterator[dict]:
        for key in self.store.list(layout.RECORDS):
            if layout.record_id_of(key) is not None:
                yield json.loads(self.store.get_bytes(key))


def job_store(settings: Settings, job: str) -> JobStore:
    """Job ``job``'s store under VIDSIFT_STORAGE_URL (``layout.job_url``)."""
    return JobStore(open_storage(layout.job_url(settings.storage_url, job), settings), job)


def _dumps(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def sort_key(line: dict) -> tuple:
    clip = line.get("clip") or {}
    return (clip.get("source") or line.get("source") or "", clip.get("start_frame", -1), clip.get("id", ""))
