"""The package version (its own module: the CLI and the metrics read it without importing ``vidsift``)."""

__version__ = "0.1.0"
