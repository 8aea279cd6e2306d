"""Servers of a test's own, for tests that kill or reconfigure them: their state under the test's
folder and ports of their own, the downloads shared with the session's servers."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from spean_local.paths import Layout, Ports
from spean_local.servers import Kafka
from tests.support.app import free_port

K = TypeVar("K", bound=Kafka)


def own_kafka(folder: Path, kind: type[K]) -> K:
    shared = Layout.from_env()
    layout = Layout(root=shared.root, state=folder / "kafka-state", cache=shared.cache)
    return kind(layout, Ports(kafka=free_port(), kafka_controller=free_port()))
