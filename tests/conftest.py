from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra import TESTDATA, ensure_rabbitmq, start_s3


def pytest_collection_modifyitems(config, items):
    if not shutil.which("ffmpeg"):
        raise pytest.UsageError("ffmpeg is not installed: run ./scripts/test.sh (it installs it)")


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.skip(f"test videos not found at {TESTDATA}")
    return TESTDATA


@pytest.fixture(scope="session")
def video(testdata):
    """video('name.mp4') -> path of a real test video."""
    def get(name: str) -> Path:
        path = testdata / name
        assert path.exists(), path
        return path
    return get


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return ensure_rabbitmq()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = start_s3(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()
