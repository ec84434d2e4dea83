"""Recipe ops: one small interface (``base.Op``), one registry, one file per implementation."""

from .base import Decision, Filter, FilterParams, FrameRequest, Mapper, Op, OpParams, in_range
from .registry import op_class, op_names

__all__ = ["Decision", "Filter", "FilterParams", "FrameRequest", "Mapper", "Op", "OpParams", "in_range", "op_class", "op_names"]
