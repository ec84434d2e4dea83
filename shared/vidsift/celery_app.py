"""An importable Celery app, for Celery's own tools against a running deployment:

    celery -A vidsift.celery_app:app inspect active
    celery -A vidsift.celery_app:app flower        # with the `flower` package

It is the app the workers run (``transport.make_app``), built from the same settings (``VIDSIFT_*``
in the environment, or the file ``VIDSIFT_CONFIG`` names), so it talks to the same broker with the
same queues and task names. Importing it connects to nothing.
"""

from __future__ import annotations

from .config import load_settings
from .transport import make_app

app = make_app(load_settings())  # load_settings reads VIDSIFT_CONFIG itself
