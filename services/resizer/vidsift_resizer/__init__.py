"""vidsift resizer: materialise accepted clips at the training resolutions, one decode per clip."""

from vidsift.stages import StageSpec

# This service's stage (entry point vidsift.stages); hooks are imported only when called.
SPEC = StageSpec(
    name="resize",
    order=30,
    run="vidsift_resizer.stage:resize_clip",
    work="decode",
)
