"""How a service reaches Kafka: the bootstrap servers and, in production, the service's own identity
(SASL SCRAM over TLS), so that Kafka's ACLs let each service write its own topics only. Given only
bootstrap servers (a developer's Kafka, the tests'), a client connects in plain text as before."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    mechanism: str = "SCRAM-SHA-512"

    def options(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client (producer, consumer, admin) takes for this access."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol}
        if self.security_protocol != "PLAINTEXT":
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.security_protocol == "SASL_SSL":
            options["ssl_context"] = create_ssl_context(cafile=str(self.ca_file) if self.ca_file else None)
        return options


def access_of(kafka: str | KafkaAccess) -> KafkaAccess:
    """`kafka` as an access: bootstrap servers alone are reached in plain text."""
    return kafka if isinstance(kafka, KafkaAccess) else KafkaAccess(kafka)
