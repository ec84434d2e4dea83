"""RabbitMQ for the monitoring tests: its management and prometheus plugins, and throw-away vhosts.

Each test works in a vhost of its own, so queues named like the real ones (vidsift.score, ...)
never meet the queues of other tests sharing the broker, and are deleted with the vhost.
"""

from __future__ import annotations

import subprocess
import uuid
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import quote

import requests

from tests.infra import ensure_rabbitmq, port_open, wait_for

MANAGEMENT = "http://127.0.0.1:15672"
PROMETHEUS_PORT = 15692  # rabbitmq_prometheus
GUEST = ("guest", "guest")


def ensure_plugins() -> None:
    ensure_rabbitmq()
    if not (port_open("127.0.0.1", 15672) and port_open("127.0.0.1", PROMETHEUS_PORT)):
        subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management", "rabbitmq_prometheus"],
                       check=True, capture_output=True, timeout=120)
        wait_for(lambda: port_open("127.0.0.1", 15672) and port_open("127.0.0.1", PROMETHEUS_PORT),
                 60, "RabbitMQ's management and prometheus plugins")


def broker_url(vhost: str) -> str:
    return f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"


@contextmanager
def temp_vhost(tag: str) -> Iterator[str]:
    ensure_plugins()
    vhost = f"vidsift-test-{tag}-{uuid.uuid4().hex[:8]}"
    api = f"{MANAGEMENT}/api"
    requests.put(f"{api}/vhosts/{quote(vhost, safe='')}", auth=GUEST, timeout=10).raise_for_status()
    requests.put(f"{api}/permissions/{quote(vhost, safe='')}/guest", auth=GUEST, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield vhost
    finally:
        requests.delete(f"{api}/vhosts/{quote(vhost, safe='')}", auth=GUEST, timeout=30)


def fill(vhost: str, queue: str, n: int) -> None:
    """Publish n small messages to a queue (confirmed by the broker), declaring it if missing."""
    from amqp.exceptions import NotFound
    from kombu import Connection, Queue

    with Connection(broker_url(vhost), transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        try:  # a worker may have declared it already, with arguments of its own
            conn.channel().queue_declare(queue, passive=True)
        except NotFound:
            Queue(queue, routing_key=queue, durable=True)(conn.default_channel).declare()
        for i in range(n):
            producer.publish({"n": i}, routing_key=queue, serializer="json")


@contextmanager
def holding(vhost: str, queue: str, n: int = 1) -> Iterator[None]:
    """A consumer that takes n messages and never acknowledges them (in flight until it closes)."""
    import amqp

    conn = amqp.Connection("127.0.0.1:5672", userid="guest", password="guest", virtual_host=vhost)
    conn.connect()
    channel = conn.channel()
    channel.basic_qos(0, n, False)
    got = []
    channel.basic_consume(queue, callback=got.append)
    while len(got) < n:
        conn.drain_events(timeout=10)
    try:
        yield
    finally:
        conn.close()


def plugin_depths(vhost: str) -> dict[tuple[str, str], float]:
    """(metric, queue) -> value from the plugin's /metrics/detailed for one vhost."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{PROMETHEUS_PORT}/metrics/detailed", timeout=10, params={
        "vhost": vhost, "family": ["queue_coarse_metrics", "queue_consumer_count"]}).text
    return {(s.name, s.labels["queue"]): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.labels.get("vhost") == vhost}
