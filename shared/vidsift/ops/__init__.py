"""Recipe ops: one small interface (``base.Op``), one registry, one file per implementation."""

from .base import Decision, Filter, FilterParams, FrameRequest, Mapper, Op, OpParams, in_range
from .registry import OPS, op_class

__all__ = ["Decision", "Filter", "FilterParams", "FrameRequest", "Mapper", "OPS", "Op", "OpParams", "in_range", "op_class"]
