"""The captioner service: writes a text caption into each surviving clip's record (stage 'caption').

``ops/captioning.py`` is the recipe op, ``backends/`` the caption backends (one file each),
``stage.py`` the stage function, ``accounting.py`` token and cost totals.
"""
