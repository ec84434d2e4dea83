#!/usr/bin/env bash
# The test suite: set up (with test extras), lint (ruff, [tool.ruff] in pyproject.toml), then pytest.
# tests/conftest.py starts RabbitMQ and a SeaweedFS S3 server on loopback when they are not already running.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q -ra "$@"
