"""vidsift resizer: materialise accepted clips at the training resolutions, one decode per clip."""
