"""Score-stage ops: one file per filter, each a thin judge over a backend's per-frame scores."""
