"""Starting several servers at once: Keycloak's minute of start-up overlaps with the others'."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from spean_local.servers import Server


def start_all(servers: list[Server]) -> list[Server]:
    """Ensures every server runs and is healthy; returns those that this call started."""
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        started = list(pool.map(lambda server: server.ensure_running(), servers))
    return [server for server, was_started in zip(servers, started, strict=True) if was_started]
