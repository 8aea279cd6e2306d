"""Spean's own services as `make up` starts them, after the servers they need."""

from spean_local.paths import Layout, Ports
from spean_local.servers.base import Server
from spean_local.servers.operations import OperationsService
from spean_local.servers.repatriation import RepatriationService
from spean_local.servers.services import Service


def all_services(layout: Layout, ports: Ports) -> list[Server]:
    return [
        Service("identification", ports.identification, layout, ports),
        Service("referral", ports.referral, layout, ports),
        Service("registry", ports.registry, layout, ports),
        RepatriationService("KHM", layout, ports),
        RepatriationService("VNM", layout, ports),
        OperationsService(layout, ports),
    ]
