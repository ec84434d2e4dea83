"""Where a job's artifacts live: the one module that names storage keys.

Under the job root (``job_url``: ``{VIDSIFT_STORAGE_URL}/jobs/{job}``, or ``vidsift run --out DIR``)::

    recipe.json                  the frozen recipe (canonical JSON; its hash is the recipe id)
    sources/{source_id}.json     the splitter's outcome for a source: the clip references it produced
                                 (for a source split in ranges, written once every range is done)
    index/{source_id}.json       the source's frame index (packet times, key frames) from the split's demux
    ranges/{source_id}/plan.json the frame ranges a long source was split into (range tasks)
    ranges/{source_id}/{start}.json  one range task's outcome: its clip references
    records/{record_id}.json     one final record per clip (accepted or rejected) or failed input
    frames/{source_id}/{i}.jpg   sample frames (frame index i of the source)
    thumbs/{source_id}/{clip_id}.jpg  small frames of a bounded sample of clips rejected in the split
                                 stage, for the report
    clips/{clip_id}/{WxH}.mp4    materialised clips (resizer)

Every key is derived by vidsift from ids, never from user path components.
"""

from __future__ import annotations

RECIPE = "recipe.json"
SOURCES = "sources/"
RECORDS = "records/"
THUMBS = "thumbs/"


def job_prefix(job: str) -> str:
    """The root of job ``job`` relative to the storage root."""
    return f"jobs/{job}"


def job_url(storage_url: str, job: str) -> str:
    """The root of job ``job`` in the storage at ``storage_url`` (VIDSIFT_STORAGE_URL)."""
    return f"{storage_url.rstrip('/')}/{job_prefix(job)}"


def source_key(source_id: str) -> str:
    return f"{SOURCES}{source_id}.json"


def index_key(source_id: str) -> str:
    return f"index/{source_id}.json"


def plan_key(source_id: str) -> str:
    return f"ranges/{source_id}/plan.json"


def range_key(source_id: str, start: int) -> str:
    return f"ranges/{source_id}/{start:010d}.json"


def record_key(record_id: str) -> str:
    return f"{RECORDS}{record_id}.json"


def record_id_of(key: str) -> str | None:
    """The record id a key under ``records/`` names (None: not a record, e.g. a temp file)."""
    name = key.rsplit("/", 1)[-1]
    return name[:-5] if name.endswith(".json") else None


def frame_key(source_id: str, index: int) -> str:
    return f"frames/{source_id}/{index:07d}.jpg"


def thumb_key(source_id: str, clip_id: str) -> str:
    return f"{THUMBS}{source_id}/{clip_id}.jpg"


def clip_key(clip_id: str, target: str) -> str:
    """A materialised clip at one training resolution (``target``: 'WxH')."""
    return f"clips/{clip_id}/{target}.mp4"
