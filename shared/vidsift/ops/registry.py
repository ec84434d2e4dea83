"""The op registry: recipe op name -> implementing class, from the installed services' entry points
(group ``vidsift.ops`` in the root ``pyproject.toml``: ``name = "module:Class"``), imported on first use.

Adding an op = one class in its own file + one entry-point line + one test.
"""

from __future__ import annotations

from functools import cache

from ..stages import load, op_targets


class UnknownOp(KeyError):
    pass


def op_names() -> list[str]:
    return sorted(op_targets())


@cache
def op_class(name: str):
    try:
        target = op_targets()[name]
    except KeyError:
        raise UnknownOp(name) from None
    return load(target)
