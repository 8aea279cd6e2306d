"""Where local state and downloaded distributions live, and which loopback ports the servers use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _repo_root() -> Path:
    explicit = os.environ.get("SPEAN_ROOT")
    if explicit:
        return Path(explicit).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "contracts").is_dir():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class Layout:
    """The state folder of one checkout and the download cache shared by all checkouts."""

    root: Path
    state: Path
    cache: Path

    @classmethod
    def from_env(cls) -> Layout:
        root = _repo_root()
        state = Path(os.environ.get("SPEAN_STATE", root / ".spean")).resolve()
        # The cache lives outside the checkout so a fresh clone downloads nothing again.
        cache = Path(os.environ.get("SPEAN_CACHE", Path.home() / ".cache" / "spean")).resolve()
        return cls(root=root, state=state, cache=cache)

    def data(self, server: str) -> Path:
        return self.state / "data" / server

    def log(self, server: str) -> Path:
        return self.state / "logs" / f"{server}.log"

    def pid(self, server: str) -> Path:
        return self.state / "run" / f"{server}.pid"

    @property
    def secrets(self) -> Path:
        return self.state / "secrets"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Ports:
    """Unusual defaults so the servers never collide with ones the machine already runs, all below
    32768: outgoing connections take their local ports from 32768-60999 (Linux's default range), and
    one that took a server's port holds it for a minute after it closes (TIME-WAIT). Keycloak once
    failed to start so, its management port taken by a closed connection to Kafka."""

    postgres: int = _port("SPEAN_POSTGRES_PORT", 26432)
    kafka: int = _port("SPEAN_KAFKA_PORT", 26092)
    kafka_controller: int = _port("SPEAN_KAFKA_CONTROLLER_PORT", 26093)
    keycloak: int = _port("SPEAN_KEYCLOAK_PORT", 26080)
    keycloak_management: int = _port("SPEAN_KEYCLOAK_MANAGEMENT_PORT", 26090)
    collector: int = _port("SPEAN_COLLECTOR_PORT", 26318)
    collector_health: int = _port("SPEAN_COLLECTOR_HEALTH_PORT", 26313)
    collector_metrics: int = _port("SPEAN_COLLECTOR_METRICS_PORT", 26464)
    zipkin: int = _port("SPEAN_ZIPKIN_PORT", 26411)
    identification: int = _port("SPEAN_IDENTIFICATION_PORT", 26101)
    referral: int = _port("SPEAN_REFERRAL_PORT", 26102)
    registry: int = _port("SPEAN_REGISTRY_PORT", 26104)
    operations: int = _port("SPEAN_OPERATIONS_PORT", 26105)
    repatriation: Mapping[str, int] = field(
        default_factory=lambda: {
            "KHM": _port("SPEAN_REPATRIATION_PORT", 26103),
            "VNM": _port("SPEAN_REPATRIATION_VN_PORT", 26123),
        }
    )
    crossborder: Mapping[str, int] = field(
        default_factory=lambda: {
            "KHM": _port("SPEAN_CROSSBORDER_PORT", 26113),
            "VNM": _port("SPEAN_CROSSBORDER_VN_PORT", 26133),
        }
    )
