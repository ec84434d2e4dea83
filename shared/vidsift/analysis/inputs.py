"""``vidsift analyze`` arguments: expanded by the one input expander every command uses
(``vidsift.inputs``: files, directories, @lists, s3:// prefixes, URL tables)."""

from __future__ import annotations

from typing import Iterable

from ..config import Settings
from ..inputs import expand_inputs as _expand_inputs
from ..inputs import is_video_name

__all__ = ["expand_inputs", "is_video_name"]


def expand_inputs(args: Iterable[str], settings: Settings) -> list[str]:
    """URIs to probe, in argument order, each once (a missing file is kept: probing lists it as unreadable)."""
    return _expand_inputs(list(args), settings)
