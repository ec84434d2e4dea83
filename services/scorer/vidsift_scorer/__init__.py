"""vidsift scorer: model-based filters (aesthetics, watermark, NSFW) on stored sample frames."""

from vidsift.stages import StageSpec

# This service's stage (entry point vidsift.stages); hooks are imported only when called.
SPEC = StageSpec(
    name="score",
    order=20,
    run="vidsift_scorer.stage:score_clip",
    work="model",
    check="vidsift_scorer.stage:check",
    preflight="vidsift_scorer.stage:preflight",
)
