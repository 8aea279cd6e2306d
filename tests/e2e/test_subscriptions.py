"""Each service consumes exactly the topics the catalogue says it does: production's Kafka lets a
service read only those (deploy/k8s/base/kafka-users.yaml, derived from the catalogue), so a
subscription the catalogue lacks would be refused there, and one it has in vain would be a grant unused."""

from __future__ import annotations

from fastapi import FastAPI

from spean_contracts.registry import TOPICS, Service
from tests.support.platform import Platform
from tests.support.repatriation import InstanceFactory


def consumed(app: FastAPI, namespace: str) -> set[str]:
    return {topic.removeprefix(namespace) for c in app.state.runtime.consumers for topic in c.subscription.topics}


async def test_each_service_consumes_what_the_catalogue_grants_it(
    platform: Platform, countries: InstanceFactory
) -> None:
    kh, _ = await countries(borders=())
    apps = {Service(name): app for name, app in platform.apps.items()} | {Service.REPATRIATION: kh.app}
    namespaces = {service: platform.namespace for service in apps} | {Service.REPATRIATION: kh.settings.topic_namespace}

    assert {service: consumed(app, namespaces[service]) for service, app in apps.items()} == {
        service: {topic.name for topic in TOPICS if service in topic.consumers} for service in Service
    }
