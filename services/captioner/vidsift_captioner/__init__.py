"""The captioner service: writes a text caption into each surviving clip's record (stage 'caption').

``ops/captioning.py`` is the recipe op, ``backends/`` the caption backends (one file each),
``stage.py`` the stage function, ``accounting.py`` token and cost totals.
"""

from vidsift.stages import StageSpec

# This service's stage (entry point vidsift.stages); hooks are imported only when called.
SPEC = StageSpec(
    name="caption",
    order=40,
    run="vidsift_captioner.stage:caption_clip",
    work="model",
    check="vidsift_captioner.stage:check",
    preflight="vidsift_captioner.stage:preflight",
    run_options="vidsift_captioner.cli:RUN_OPTIONS",
    summary="vidsift_captioner.accounting:summary",
)
