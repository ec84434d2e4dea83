"""vidsift scorer: model-based filters (aesthetics, watermark, NSFW) on stored sample frames."""
