"""A service signs in to Kafka as itself (SASL SCRAM-SHA-512), as production's Kafka requires: its API,
relay, consumer and readiness all reach a Kafka that refuses anyone who does not sign in."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from spean_contracts.registry import IDENTIFICATION, REFERRAL
from spean_kit.health import kafka_reachable
from spean_kit.kafka_access import KafkaAccess
from spean_kit.outbox import new_producer
from spean_kit.topics import ensure_topics
from spean_local.servers import Kafka
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build
from tests.support.app import eventually, running, scalar
from tests.support.kafka_acls import Acl, service_acls
from tests.support.servers import own_kafka

MECHANISM = "SCRAM-SHA-512"
ADMIN = ("kafka-admin", "admin-secret")
SERVICE = ("spean-sample", "sample-secret")


class SignedInKafka(Kafka):
    """A Kafka whose clients sign in with SCRAM-SHA-512 (in plain text: TLS is a matter of the listener),
    knowing an administrator and one service user from its first start."""

    @property
    def access(self) -> KafkaAccess:
        return KafkaAccess(self.bootstrap, "SASL_PLAINTEXT", *ADMIN)

    def _settings(self) -> dict[str, str]:
        settings = super()._settings()
        controller = f"127.0.0.1:{self.ports.kafka_controller}"
        jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="{}" password="{}";'
        return settings | {
            "listeners": f"SASL_PLAINTEXT://{self.bootstrap},CONTROLLER://{controller}",
            "advertised.listeners": f"SASL_PLAINTEXT://{self.bootstrap}",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": jaas.format(*ADMIN),
            # Nothing is allowed that no ACL allows. The controller listener stays in plain text on the
            # loopback interface, where the broker reaches it as ANONYMOUS.
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN[0]};User:ANONYMOUS",
        }

    def grant(self, user: str, acls: set[Acl]) -> None:
        """Allows `user` what `acls` say, with Kafka's own ACL tool signed in as the administrator."""
        signed_in = self.layout.state / "kafka" / "admin.properties"
        login = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="{}" password="{}";'
        signed_in.write_text(
            f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={MECHANISM}\nsasl.jaas.config={login.format(*ADMIN)}\n"
        )
        for acl in sorted(acls):
            command = ["--bootstrap-server", self.bootstrap, "--command-config", str(signed_in), "--add"]
            command += [
                "--allow-principal",
                f"User:{user}",
                "--operation",
                acl.operation,
                f"--{acl.resource}",
                acl.name,
            ]
            subprocess.run(self._java("org.apache.kafka.tools.AclCommand", *command), check=True, capture_output=True)

    def _format_arguments(self) -> list[str]:
        return [
            argument
            for name, password in (ADMIN, SERVICE)
            for argument in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")
        ]


async def test_a_service_signed_in_to_kafka_works_within_its_acls_and_nobody_else_gets_in(
    make_settings: SettingsFactory, moi_token: Callable[[], str], tmp_path: Path
) -> None:
    kafka = own_kafka(tmp_path, SignedInKafka)
    case_id = f"signed-in-{uuid.uuid4().hex[:8]}"
    try:
        await asyncio.to_thread(kafka.ensure_running)
        name, password = SERVICE
        settings = await make_settings(
            kafka_bootstrap=kafka.bootstrap,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_username=name,
            kafka_password=password,
        )
        # As in production: the topics are made by an administrator (Strimzi's topic operator), and the
        # service may do on them what it publishes and consumes, nothing more.
        namespace = settings.topic_namespace
        await ensure_topics(kafka.access, [IDENTIFICATION, REFERRAL], namespace=namespace)
        own = namespace + IDENTIFICATION.name
        await asyncio.to_thread(kafka.grant, name, service_acls([own], [own], settings.consumer_group))
        async with running(build(settings)) as client:
            answer = await client.post(
                "/cases",
                json={"case_id": case_id, "province": "KH-20", "sex": "female", "age_band": "12-17"},
                headers={"Authorization": f"Bearer {moi_token()}"},
            )

            async def applied() -> bool:
                return bool(await scalar(settings, "SELECT count(*) FROM sample_effect WHERE case_id = :c", c=case_id))

            await eventually(applied, what="the case's event relayed and consumed through the signed-in Kafka")
            readiness = await client.get("/health/ready")
        producer = new_producer(settings.kafka)
        await producer.start()
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(namespace + REFERRAL.name, b"{}", key=case_id.encode())
        finally:
            await producer.stop()
        strangers = [
            await kafka_reachable(kafka.bootstrap),
            await kafka_reachable(KafkaAccess(kafka.bootstrap, "SASL_PLAINTEXT", name, "not-the-password")),
        ]
    finally:
        kafka.stop()

    assert answer.status_code == 201
    assert readiness.json()["checks"] == {"database": "up", "kafka": "up"}
    assert strangers == [False, False], "neither a client in plain text nor one with a wrong password gets in"
