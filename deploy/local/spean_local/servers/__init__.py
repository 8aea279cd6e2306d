"""The servers Spean needs (PostgreSQL, Kafka, Keycloak, the OpenTelemetry Collector and Zipkin) and its
own services, each started, checked and stopped the same way."""

from spean_local.paths import Layout, Ports
from spean_local.servers.base import Server
from spean_local.servers.kafka import Kafka
from spean_local.servers.keycloak import Keycloak
from spean_local.servers.operations import OperationsService
from spean_local.servers.postgres import Postgres
from spean_local.servers.repatriation import RepatriationService
from spean_local.servers.services import Service
from spean_local.servers.tracing import Collector, Zipkin


def all_servers(layout: Layout, ports: Ports) -> list[Server]:
    return [
        Postgres(layout, ports),
        Kafka(layout, ports),
        Keycloak(layout, ports),
        Zipkin(layout, ports),
        Collector(layout, ports),
    ]


def all_services(layout: Layout, ports: Ports) -> list[Server]:
    return [
        Service("identification", ports.identification, layout, ports),
        Service("referral", ports.referral, layout, ports),
        Service("registry", ports.registry, layout, ports),
        RepatriationService("KHM", layout, ports),
        RepatriationService("VNM", layout, ports),
        OperationsService(layout, ports),
    ]


__all__ = [
    "Collector",
    "Kafka",
    "Keycloak",
    "OperationsService",
    "Postgres",
    "RepatriationService",
    "Server",
    "Service",
    "Zipkin",
    "all_servers",
    "all_services",
]
