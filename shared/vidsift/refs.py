"""Typed, versioned references: the only things that cross the broker.

Messages are small JSON documents (never media, never pickle). Each carries ``schema`` so a worker can
refuse a message it does not understand instead of misreading it. Programs in other languages publish
to the ingest queue by sending a ``SourceRef`` document (see README, "Message format").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SOURCE_SCHEMA = "vidsift.source/1"
CLIP_SCHEMA = "vidsift.clip/1"
# Seconds a range task decodes before its range, so its scene detector starts warm (splitter ranges.py).
RANGE_WARMUP_S = 5.0


class BadMessage(ValueError):
    """A message that is not valid JSON of a known schema and version. Never retried."""


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceInfo(_Ref):
    """What the splitter learned about a source; later stages use it to check the source is unchanged."""

    uri: str
    source_id: str  # content fingerprint: the same bytes give the same id wherever they live
    size: int
    etag: str | None = None
    width: int  # decoded frame size, rotation applied; a non-square sample aspect ratio is not (see the resizer)
    height: int
    fps: float
    frames: int
    duration: float
    codec: str | None = None
    rotation: int = 0


class FrameRef(_Ref):
    """A sample frame stored next to the clip reference (a small JPEG)."""

    index: int  # frame index in the source
    t: float  # seconds from the start of the clip
    key: bool = False  # a key frame of the source
    uri: str


class SourceRef(_Ref):
    """Ingest message: one video to split, or (set only by the splitter's plan) one frame range of it.

    A range task owns the scenes whose first frame lies in [range_start, range_end) (source-absolute
    decode indices, end exclusive); ``fps`` is the plan's frame rate, so a worker can size the task's
    time limit without opening the video. Producers send none of the three.
    """

    schema_: Literal["vidsift.source/1"] = Field(SOURCE_SCHEMA, alias="schema")
    job: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    uri: str
    recipe_id: str
    range_start: int | None = Field(None, ge=0)
    range_end: int | None = Field(None, gt=0)
    fps: float | None = Field(None, gt=0)
    # The planned source's fingerprint: a range task finds the plan (probe, size, ETag) by it instead
    # of reading the source's first and last MiB again. Set only by the splitter, with the range.
    source_id: str | None = Field(None, pattern=r"^[0-9a-f]{20}$")
    # The input's row of a URL table: its caption (``caption``) and saved columns. Every clip cut from
    # the source carries it (``ClipRef.extra["meta"]``, the manifest line's ``meta``); the caption is
    # the clips' ``text`` until a captioner replaces it.
    meta: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _range_complete(self) -> "SourceRef":
        parts = (self.range_start, self.range_end, self.fps)
        if any(p is not None for p in parts):
            if any(p is None for p in parts):
                raise ValueError("range_start, range_end and fps go together")
            if self.range_end <= self.range_start:
                raise ValueError("range_end must be after range_start")
        elif self.source_id is not None:
            raise ValueError("source_id is set only on a range reference")
        return self

    def clip_fields(self) -> dict[str, Any]:
        """What the source's row gives each of its clips (ClipRef fields): its caption as ``text``,
        the row as ``extra["meta"]``; nothing for a source that did not come from a table."""
        if not self.meta:
            return {}
        return {"text": str(self.meta.get("caption") or ""), "extra": {"meta": dict(self.meta)}}

    @property
    def is_range(self) -> bool:
        return self.range_start is not None

    @property
    def range_seconds(self) -> float | None:
        return (self.range_end - self.range_start) / self.fps if self.is_range else None

    @property
    def media_seconds(self) -> float | None:
        """Media a range task may decode: its warm-up, its range, and as much again for the scene open
        at its end (decoded to its end). None for a whole source: its length is unknown until probed."""
        return 2 * self.range_seconds + RANGE_WARMUP_S if self.is_range else None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ClipRef(_Ref):
    """A clip: a frame span of a source, plus what the stages so far have recorded about it."""

    schema_: Literal["vidsift.clip/1"] = Field(CLIP_SCHEMA, alias="schema")
    job: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    recipe_id: str
    id: str
    source: SourceInfo
    scene: int
    start_frame: int
    end_frame: int  # exclusive
    start: float  # seconds
    end: float
    frames: tuple[FrameRef, ...] = ()
    stats: dict[str, Any] = Field(default_factory=dict)
    resized: dict[str, str] = Field(default_factory=dict)
    text: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)  # per-stage data (e.g. caption usage)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def fps(self) -> float:
        return self.source.fps

    @property
    def num_frames(self) -> int:
        return self.end_frame - self.start_frame

    @property
    def duration(self) -> float:
        return self.end - self.start

    def with_updates(self, **changes: Any) -> "ClipRef":
        return self.model_copy(update=changes)

    def to_message(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


def to_message(ref: _Ref) -> dict:
    if isinstance(ref, SourceRef):  # unset optional fields are left out: the document producers send
        return ref.model_dump(mode="json", by_alias=True, exclude={k for k in _OPTIONAL_FIELDS if getattr(ref, k) is None})
    return ref.model_dump(mode="json", by_alias=True)


_OPTIONAL_FIELDS = ("range_start", "range_end", "fps", "source_id", "meta")  # left out when unset


def parse_message(payload: Any, kind: type[_Ref]) -> Any:
    """Validate a received message; unknown schema versions and malformed documents are BadMessage."""
    if not isinstance(payload, dict):
        raise BadMessage(f"expected a JSON object, got {type(payload).__name__}")
    schema = payload.get("schema")
    expected = kind.model_fields["schema_"].default
    if schema != expected:
        raise BadMessage(
            f"unknown message schema {schema!r}; this worker reads {expected!r} "
            "(upgrade the worker or re-submit with a matching vidsift version)"
        )
    try:
        return kind.model_validate(payload)
    except ValidationError as exc:
        raise BadMessage(f"invalid {expected} message: {exc.errors(include_url=False)}") from exc


def source_schema() -> dict:
    """The ingest message's JSON Schema (draft 2020-12), from ``SourceRef``: published as
    docs/schema/source.json (``python -m vidsift.refs > docs/schema/source.json``; a test keeps the
    two equal). What a schema cannot say, the model still checks: the range fields go together."""
    schema = SourceRef.model_json_schema(by_alias=True, mode="validation")
    # The model defaults ``schema``, but a received message must name it (parse_message): required here.
    schema["required"] = ["schema", *schema["required"]]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:vidsift:schema:source:1", **schema,
            "description": "vidsift ingest message: one video for job `job` (routing key vidsift.split, task "
                           "vidsift.stage.split, the single argument). Producers send schema, job, uri, "
                           "recipe_id and optionally meta; range_start, range_end, fps and source_id are set "
                           "only by the splitter."}


if __name__ == "__main__":
    import json
    import sys

    json.dump(source_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
