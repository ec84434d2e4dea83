"""``vidsift analyze`` arguments: expanded by the one input expander every command uses
(``vidsift.inputs``: files, directories, @lists, s3:// prefixes, URL tables; a missing file is kept,
and probing lists it as unreadable)."""

from __future__ import annotations

from ..inputs import expand_inputs, is_video_name

__all__ = ["expand_inputs", "is_video_name"]
