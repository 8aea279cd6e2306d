"""The local servers' ports are ones no outgoing connection can be holding when a server starts."""

from __future__ import annotations

import dataclasses

from spean_local.paths import Ports

# Where systems take the local ports of outgoing connections: Linux 32768-60999, IANA (macOS,
# Windows) 49152-65535.
EPHEMERAL_FROM = 32768


def _all(ports: Ports) -> list[int]:
    found: list[int] = []
    for field in dataclasses.fields(ports):
        value = getattr(ports, field.name)
        found += list(value.values()) if isinstance(value, dict) else [value]
    return found


def test_every_server_has_a_port_of_its_own_below_the_ephemeral_ranges() -> None:
    ports = _all(Ports())

    assert len(ports) == len(set(ports)) == 17
    assert [port for port in ports if port >= EPHEMERAL_FROM] == []
