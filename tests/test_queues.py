"""The broker topology's names: one dead-letter queue per stage, named in queues.py alone."""

import re

from tests.infra import REPO
from vidsift.pipeline import QUEUES
from vidsift.queues import DELIVERY_LIMIT, dead_letter_queue, dlq_name, stage_queue

ALERTS = REPO / "helm" / "vidsift" / "files" / "alerts.yaml"


def test_each_stage_queue_dead_letters_into_its_own_dlq():
    assert list(QUEUES)
    for stage in QUEUES:
        q, dlq = stage_queue(stage), dead_letter_queue(stage)
        assert dlq.name == dlq_name(stage) != q.name
        assert q.queue_arguments["x-dead-letter-routing-key"] == dlq.routing_key == dlq.name
        assert q.queue_arguments["x-delivery-limit"] == DELIVERY_LIMIT


def test_the_alert_rules_match_every_dlq_and_no_stage_queue():
    """The chart's rules cannot import the name: they match its shape, checked here."""
    patterns = {p.replace("\\\\", "\\") for p in re.findall(r'queue=~"([^"]+)"', ALERTS.read_text())}
    dlq_patterns = {p for p in patterns if "dlq" in p}
    assert dlq_patterns
    for stage in QUEUES:
        assert all(re.fullmatch(p, dlq_name(stage)) for p in dlq_patterns), (stage, dlq_patterns)
        assert not any(re.fullmatch(p, QUEUES[stage]) for p in dlq_patterns)
