"""vidsift: turn raw web video into a text-to-video training set.

The library every service imports: references (messages), recipe, storage, transport, CLI and the
embedded runner. Stage logic lives in ``services/<stage>`` packages and is plain functions.
"""

__version__ = "0.1.0"
