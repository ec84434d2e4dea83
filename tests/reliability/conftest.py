from __future__ import annotations

import os

import pytest

from tests.infra import S3_ACCESS_KEY, S3_SECRET_KEY, ensure_rabbitmq

from .cluster import Cluster, Weed, new_vhost, rabbitmqctl


@pytest.fixture(scope="module")
def vhost():
    ensure_rabbitmq()
    name, url = new_vhost()
    yield name, url
    rabbitmqctl("delete_vhost", name, check=False)


@pytest.fixture(scope="module")
def weed(tmp_path_factory):
    server = Weed(tmp_path_factory.mktemp("weed"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", autouse=True)
def _aws_credentials():
    """The test process reads job records from S3 too; same test-only credentials as the workers."""
    old = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID=S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY, AWS_DEFAULT_REGION="us-east-1")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def make_cluster(vhost, weed, workdir, **env) -> Cluster:
    name, url = vhost
    return Cluster(url, name, weed, workdir, **env)
