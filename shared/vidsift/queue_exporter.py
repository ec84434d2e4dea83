"""Queue depths of the stage queues and their dead-letter queues, for ``vidsift status`` and Prometheus.

RabbitMQ's ``rabbitmq_prometheus`` plugin already exports these numbers and the alert rules read its
names. For a broker without the plugin, run ``python -m vidsift.queue_exporter --port 9419``: it serves
the same series (``rabbitmq_detailed_queue_messages_ready{vhost,queue}``, ``..._messages_unacked``,
``..._consumers``), so the same rules work unchanged.

Two ways to read a queue: the management HTTP API (ready, unacknowledged, consumers) when a URL is
given, else a passive ``queue.declare`` over AMQP, which any AMQP 0-9-1 broker answers but which
knows nothing of unacknowledged (in-flight) messages.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import quote, unquote, urlparse

from .pipeline import QUEUES
from .queues import dlq_name
DEFAULT_EXPORTER_PORT = 9419
MANAGEMENT_PORT = 15672  # RabbitMQ's management plugin
HTTP_TIMEOUT_S = 5.0


def watched_queues() -> list[str]:
    return [q for stage in QUEUES for q in (QUEUES[stage], dlq_name(stage))]


def management_url_for(broker_url: str) -> str:
    """The management API on the broker's host (its default port, the broker's credentials)."""
    from kombu import Connection

    conn = Connection(broker_url)
    userinfo = f"{quote(conn.userid, safe='')}:{quote(conn.password or '', safe='')}@" if conn.userid else ""
    return f"{'https' if conn.ssl else 'http'}://{userinfo}{conn.hostname}:{MANAGEMENT_PORT}"


@dataclass(frozen=True)
class Depth:
    queue: str
    ready: int
    consumers: int
    unacked: int | None = None  # None: this source cannot tell


class QueueReader:
    def __init__(self, broker_url: str, management_url: str | None = None) -> None:
        self.broker_url = broker_url
        self.management_url = management_url.rstrip("/") if management_url else None
        from kombu import Connection

        self.vhost = Connection(broker_url).virtual_host or "/"

    def depths(self, queues: Iterable[str]) -> dict[str, Depth]:
        """Depths of the queues that exist (a queue never declared is simply absent)."""
        queues = list(queues)
        if self.management_url:
            return self._from_management(queues)
        return self._from_amqp(queues)

    def _from_management(self, queues: list[str]) -> dict[str, Depth]:
        import requests

        url = urlparse(self.management_url)
        auth = (unquote(url.username), unquote(url.password or "")) if url.username else None
        base = url._replace(netloc=url.hostname + (f":{url.port}" if url.port else "")).geturl()
        resp = requests.get(
            f"{base}/api/queues/{quote(self.vhost, safe='')}",
            params={"columns": "name,messages_ready,messages_unacknowledged,consumers"},
            auth=auth, timeout=HTTP_TIMEOUT_S)
        resp.raise_for_status()
        wanted = set(queues)
        return {
            q["name"]: Depth(q["name"], int(q.get("messages_ready") or 0), int(q.get("consumers") or 0),
                             int(q.get("messages_unacknowledged") or 0))
            for q in resp.json() if q["name"] in wanted
        }

    def _from_amqp(self, queues: list[str]) -> dict[str, Depth]:
        from amqp.exceptions import NotFound
        from kombu import Connection

        out: dict[str, Depth] = {}
        with Connection(self.broker_url, connect_timeout=HTTP_TIMEOUT_S) as conn:
            channel = conn.channel()
            for queue in queues:
                try:
                    _, ready, consumers = channel.queue_declare(queue=queue, passive=True)
                except NotFound:
                    channel = conn.channel()  # the broker closed the channel on the 404
                    continue
                out[queue] = Depth(queue, ready, consumers)
        return out


class QueueCollector:
    """A prometheus-client collector that reads the depths at each scrape."""

    def __init__(self, reader: QueueReader, queues: list[str] | None = None) -> None:
        self.reader = reader
        self.queues = queues or watched_queues()

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        depths = self.reader.depths(self.queues)
        families = {
            "ready": GaugeMetricFamily("rabbitmq_detailed_queue_messages_ready",
                                       "Messages ready to be delivered to consumers",
                                       labels=["vhost", "queue"]),
            "unacked": GaugeMetricFamily("rabbitmq_detailed_queue_messages_unacked",
                                         "Messages delivered to consumers but not yet acknowledged",
                                         labels=["vhost", "queue"]),
            "consumers": GaugeMetricFamily("rabbitmq_detailed_queue_consumers", "Consumers on a queue",
                                           labels=["vhost", "queue"]),
        }
        for d in depths.values():
            labels = [self.reader.vhost, d.queue]
            families["ready"].add_metric(labels, d.ready)
            families["consumers"].add_metric(labels, d.consumers)
            if d.unacked is not None:
                families["unacked"].add_metric(labels, d.unacked)
        yield from families.values()


def serve(broker_url: str, port: int, management_url: str | None = None, addr: str = "0.0.0.0"):
    """Serve the queue depths on ``port``; returns the HTTP server (``.shutdown()`` stops it)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(QueueCollector(QueueReader(broker_url, management_url)))
    httpd, _ = start_http_server(port, addr=addr, registry=registry)
    return httpd


def main(argv: list[str] | None = None) -> None:
    from .config import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_EXPORTER_PORT)
    parser.add_argument("--addr", default="0.0.0.0")
    parser.add_argument("--management-url", help="http://user:pass@host:15672 (else AMQP, no unacked)")
    args = parser.parse_args(argv)
    httpd = serve(load_settings().broker_url, args.port, args.management_url, args.addr)
    print(f"serving queue depths on :{httpd.server_port}/metrics", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
