"""vidsift.queue_exporter: the same series as RabbitMQ's prometheus plugin, on a real broker."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.alerts.broker import MANAGEMENT, broker_url, fill, holding, plugin_depths, temp_vhost
from tests.infra import free_port, wait_for
from vidsift.queue_exporter import QueueReader, management_url_for, serve, watched_queues
from vidsift.queues import dlq_name

pytestmark = pytest.mark.integration
READY = "rabbitmq_detailed_queue_messages_ready"
UNACKED = "rabbitmq_detailed_queue_messages_unacked"
CONSUMERS = "rabbitmq_detailed_queue_consumers"


@pytest.fixture(scope="module")
def vhost():
    with temp_vhost("exporter") as vhost:
        fill(vhost, "vidsift.score", 3)
        fill(vhost, dlq_name("score"), 2)
        fill(vhost, "vidsift.resize", 2)
        fill(vhost, "unrelated.queue", 9)
        with holding(vhost, "vidsift.resize"):
            yield vhost


def exported(port: int, vhost: str) -> dict[tuple[str, str], float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, s.labels["queue"]): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.labels.get("vhost") == vhost}


EXPECTED = {
    (READY, "vidsift.score"): 3, (CONSUMERS, "vidsift.score"): 0,
    (READY, "vidsift.score.dlq"): 2, (CONSUMERS, "vidsift.score.dlq"): 0,
    (READY, "vidsift.resize"): 1, (CONSUMERS, "vidsift.resize"): 1,
}


@pytest.mark.parametrize("source", ["management", "amqp"])
def test_exporter_serves_the_plugins_numbers(vhost, source):
    management = MANAGEMENT.replace("http://", "http://guest:guest@") if source == "management" else None
    httpd = serve(broker_url(vhost), free_port(), management, addr="127.0.0.1")
    try:
        want = dict(EXPECTED)
        if source == "management":
            want.update({(UNACKED, "vidsift.resize"): 1, (UNACKED, "vidsift.score"): 0})
        # Both the plugin and the management API publish statistics every few seconds.
        wait_for(lambda: all(exported(httpd.server_port, vhost).get(k) == v for k, v in want.items()), 30,
                 f"the {source} exporter to report {want}")
        wait_for(lambda: all(plugin_depths(vhost).get(k) == v for k, v in want.items()), 30,
                 f"the plugin to report {want}")
        got = exported(httpd.server_port, vhost)
        assert {q for _, q in got} <= set(watched_queues()), "only vidsift's queues are exported"
        if source == "amqp":
            assert not any(name == UNACKED for name, _ in got), "AMQP cannot know in-flight messages"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_management_url_from_broker_url_keeps_no_secret_in_errors():
    url = management_url_for("amqp://user%40x:p%3Ass@broker.example:5672/prod")
    assert url == "http://user%40x:p%3Ass@broker.example:15672"
    reader = QueueReader("amqp://u:topsecret@127.0.0.1:1//", "http://u:topsecret@127.0.0.1:1")
    with pytest.raises(requests.ConnectionError) as err:
        reader.depths(["vidsift.split"])
    assert "topsecret" not in str(err.value)
