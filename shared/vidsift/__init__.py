"""vidsift: turn raw web video into a text-to-video training set.

The library every service imports: references (messages), recipe, storage, transport, CLI and the
embedded runner. Stage logic lives in service packages (entry points ``vidsift.stages``, ``vidsift.ops``)
and is plain functions.

The Python API is the commands, callable: ``vidsift.run``, ``vidsift.submit``, ``vidsift.export``
(``vidsift.api``; docs/python-api.md).
"""

from .api import RunFailed, VidsiftError, export, run, submit
from .version import __version__

__all__ = ["RunFailed", "VidsiftError", "__version__", "export", "run", "submit"]
