"""The servers Spean needs (PostgreSQL, Kafka, Keycloak) and its own services, each started, checked
and stopped the same way."""

from spean_local.paths import Layout, Ports
from spean_local.servers.base import Server
from spean_local.servers.kafka import Kafka
from spean_local.servers.keycloak import Keycloak
from spean_local.servers.postgres import Postgres
from spean_local.servers.repatriation import RepatriationService
from spean_local.servers.services import Service


def all_servers(layout: Layout, ports: Ports) -> list[Server]:
    return [Postgres(layout, ports), Kafka(layout, ports), Keycloak(layout, ports)]


def all_services(layout: Layout, ports: Ports) -> list[Server]:
    return [
        Service("identification", ports.identification, layout, ports),
        Service("referral", ports.referral, layout, ports),
        Service("registry", ports.registry, layout, ports),
        RepatriationService("KHM", layout, ports),
        RepatriationService("VNM", layout, ports),
    ]


__all__ = ["Kafka", "Keycloak", "Postgres", "RepatriationService", "Server", "Service", "all_servers", "all_services"]
