"""What the registry consumes: every case topic, into one projection."""

from __future__ import annotations

from spean_contracts.registry import IDENTIFICATION, PROSECUTION, REFERRAL, REPATRIATION
from spean_kit.consumer import Subscription
from spean_kit.settings import ServiceSettings
from spean_registry.projection import project, project_batch

CASE_TOPICS = (IDENTIFICATION, REFERRAL, REPATRIATION, PROSECUTION)
PROJECTION = Subscription(
    tuple(topic.name for topic in CASE_TOPICS), project, name="projection", batch_handler=project_batch
)


def projected_topics(settings: ServiceSettings) -> list[str]:
    return [settings.topic_namespace + topic.name for topic in CASE_TOPICS]
