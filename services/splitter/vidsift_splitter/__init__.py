"""vidsift splitter: scene cuts, 1-3 s clip spans, CPU filters and sample frames in one decode."""
