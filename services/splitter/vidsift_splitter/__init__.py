"""vidsift splitter: scene cuts, 1-3 s clip spans, CPU filters and sample frames in one decode."""

from vidsift.stages import StageSpec

# This service's stage (entry point vidsift.stages); hooks are imported only when called.
SPEC = StageSpec(
    name="split",
    order=10,
    run="vidsift_splitter.stage:split_source",
    work="decode",
)
