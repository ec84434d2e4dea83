"""Resize ops: one file per data-juicer op, sharing the output parameters in ``common``."""
