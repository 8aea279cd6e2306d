"""The three servers Spean needs, each started, checked and stopped the same way."""

from spean_local.paths import Layout, Ports
from spean_local.servers.base import Server
from spean_local.servers.kafka import Kafka
from spean_local.servers.keycloak import Keycloak
from spean_local.servers.postgres import Postgres


def all_servers(layout: Layout, ports: Ports) -> list[Server]:
    return [Postgres(layout, ports), Kafka(layout, ports), Keycloak(layout, ports)]


__all__ = ["Kafka", "Keycloak", "Postgres", "Server", "all_servers"]
