"""Starting several servers at once: Keycloak's minute of start-up overlaps with the others'."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from spean_local.servers import Server


def start_all(servers: list[Server]) -> list[Server]:
    """Ensures every server runs and is healthy; returns those that this call started. If one fails,
    those this call spawned are stopped again before the failure is raised: nothing is left behind."""
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        futures = [pool.submit(server.ensure_running) for server in servers]
    failures = [error for future in futures if (error := future.exception()) is not None]
    if failures:
        for server in servers:
            if server.spawned:
                server.stop()
        raise failures[0]
    return [server for server, future in zip(servers, futures, strict=True) if future.result()]
