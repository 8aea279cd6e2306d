"""The servers Spean needs (PostgreSQL, Kafka, Keycloak, the OpenTelemetry Collector and Zipkin), each
started, checked and stopped the same way. Spean's own services are in `spean_local.servers.lineup`, apart:
what only reaches the servers (the `spean` command line, tests) does not import what runs the services."""

from spean_local.paths import Layout, Ports
from spean_local.servers.base import Server
from spean_local.servers.kafka import Kafka
from spean_local.servers.keycloak import Keycloak
from spean_local.servers.postgres import Postgres
from spean_local.servers.tracing import Collector, Zipkin


def all_servers(layout: Layout, ports: Ports) -> list[Server]:
    return [
        Postgres(layout, ports),
        Kafka(layout, ports),
        Keycloak(layout, ports),
        Zipkin(layout, ports),
        Collector(layout, ports),
    ]


__all__ = ["Collector", "Kafka", "Keycloak", "Postgres", "Server", "Zipkin", "all_servers"]
