"""The operations console: a service like the others, plus its Keycloak client, its cookie key, and
where it reads outbox figures (the collector) and links traces to (Zipkin)."""

from __future__ import annotations

from spean_local.paths import Layout, Ports
from spean_local.secrets import generated
from spean_local.servers.keycloak import Keycloak, secret_name
from spean_local.servers.services import Service
from spean_local.servers.tracing import Collector, Zipkin

CONSOLE_CLIENT = "spean-console"


class OperationsService(Service):
    def __init__(self, layout: Layout, ports: Ports) -> None:
        super().__init__("operations", ports.operations, layout, ports)

    def environment(self) -> dict[str, str]:
        keycloak = Keycloak(self.layout, self.ports)
        session_key = generated(self.layout.secrets, "services", ["operations_session_key"])["operations_session_key"]
        return {
            **super().environment(),
            "SPEAN_PUBLIC_URL": self.url,
            "SPEAN_TRACE_UI_URL": f"{Zipkin(self.layout, self.ports).url}/zipkin",
            "SPEAN_METRICS_URL": Collector(self.layout, self.ports).metrics_url,
            "SPEAN_CONSOLE_CLIENT_ID": CONSOLE_CLIENT,
            "SPEAN_CONSOLE_CLIENT_SECRET": keycloak.client_secrets()[secret_name(CONSOLE_CLIENT)],
            "SPEAN_SESSION_KEY": session_key,
        }
