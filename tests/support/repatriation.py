"""Two repatriation instances in-process, Cambodia's and Viet Nam's, each with its own database,
topics, realm, keys and mutual-TLS listener, on the real servers: for the repatriation service's
tests and the cross-service ones."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from spean_contracts import from_kafka_record
from spean_contracts.fields import local_today
from spean_contracts.registry import REPATRIATION
from spean_contracts.sop import MEDIA_TYPE
from spean_contracts.vocabulary import Country
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from spean_local.pki import CountryCredentials, country_credentials
from spean_local.pytest_plugin import DatabaseFactory, TokenFactory
from spean_local.scratch import scratch_namespace
from spean_repatriation.app import build, crossborder_server
from spean_repatriation.settings import Counterpart, RepatriationSettings
from tests.support.app import eventually, free_port, running
from tests.support.conformance import Conformance
from tests.support.published import CONTRACTS

LISTENER = CONTRACTS / "repatriation" / "openapi.json"

REALM = {"KHM": "spean", "VNM": "vn-counterpart"}
GATEWAY = {"KHM": "kh-repatriation-gateway", "VNM": "vn-repatriation-gateway"}
OFFICER = {"KHM": ("mosvy-case-system", "spean"), "VNM": ("vn-mps-system", "vn-counterpart")}


@dataclass
class Instance:
    """One country's instance: its domestic API client and its cross-border listener."""

    country: str
    settings: RepatriationSettings
    app: FastAPI
    api: httpx.AsyncClient
    officer: dict[str, str]
    credentials: CountryCredentials
    border: uvicorn.Server | None = None
    border_task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def open_border(self) -> None:
        self.border = crossborder_server(self.app)
        self.border_task = asyncio.create_task(self.border.serve())
        await eventually(self._listening, within=10, what="the cross-border listener")

    async def _listening(self) -> bool:
        return self.border is not None and self.border.started

    async def close_border(self) -> None:
        if self.border is not None and self.border_task is not None:
            self.border.should_exit = True
            await self.border_task
            self.border, self.border_task = None, None

    @property
    def border_url(self) -> str:
        return f"https://127.0.0.1:{self.settings.crossborder_port}"

    async def show(self, reference: str) -> dict[str, Any]:
        answer = await self.api.get(f"/repatriations/{reference}", headers=self.officer)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def state_of(self, reference: str) -> str | None:
        answer = await self.api.get(f"/repatriations/{reference}", headers=self.officer)
        return str(answer.json()["state"]) if answer.status_code == 200 else None

    async def reached(self, reference: str, state: str) -> None:
        """Waits until this country's copy of the case is in `state` (messages take a moment to cross)."""

        async def check() -> bool:
            return await self.state_of(reference) == state

        await eventually(check, within=30, what=f"{self.country} sees {reference} {state}")


async def published_data(servers: Endpoints, instance: Instance, event: str) -> list[dict[str, Any]]:
    """The data, as JSON, of each `event` (`repatriation.withdrawn`) `instance` published, oldest first."""
    records = await read_topic(servers.kafka_bootstrap, instance.settings.topic_namespace + REPATRIATION.name)
    events = [from_kafka_record(r.value, r.headers) for r in records]
    return [e.data.model_dump(mode="json") for e in events if e.type == f"kh.spean.{event}.v1"]


async def hand_over(destination: Instance, origin: Instance, reference: str) -> str:
    """A return requested by `destination` taken through the SOP up to the signed handover minutes: the
    origin verifies and accepts it, the destination schedules the handover and signs its minutes. Returns
    the handover's id once the origin knows the person handed over."""
    await origin.reached(reference, "requested")
    verified = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
    for path, body in (("verification-result", verified), ("acceptance", {"travel_document_issued": True})):
        answer = await origin.api.post(f"/repatriations/{reference}/{path}", json=body, headers=origin.officer)
        assert answer.status_code == 200, answer.text
    await destination.reached(reference, "accepted")
    handover = await destination.api.post(
        "/handovers",
        json={
            "references": [reference],
            "border_gate": "moc-bai-bavet",
            "handover_date": (local_today() + timedelta(days=4)).isoformat(),
        },
        headers=destination.officer,
    )
    assert handover.status_code == 201, handover.text
    handover_id: str = handover.json()["handover_id"]
    minutes = await destination.api.post(
        f"/handovers/{handover_id}/minutes",
        json={"handed_over_at": datetime.now(UTC).isoformat()},
        headers=destination.officer,
    )
    assert minutes.status_code == 200, minutes.text
    await origin.reached(reference, "handed-over")
    return handover_id


def presenting(credentials: CountryCredentials, trusting: str) -> ssl.SSLContext:
    """A TLS client's context presenting `credentials`' certificate and trusting exactly the certificates
    (PEM) of `trusting`."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=trusting)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_cert_chain(credentials.certificate, credentials.private_key)
    return context


def tls_client(credentials: CountryCredentials, server: CountryCredentials) -> httpx.AsyncClient:
    """An HTTPS client presenting `credentials`' certificate and trusting exactly `server`'s, that holds
    each answer of a listener to the listener's published OpenAPI document."""
    context = presenting(credentials, server.certificate_pem())
    hooks: dict[str, list[Callable[..., Any]]] = {"response": [Conformance(lambda: json.loads(LISTENER.read_text()))]}
    return httpx.AsyncClient(verify=context, timeout=10, event_hooks=hooks)


InstanceFactory = Callable[..., Awaitable[tuple[Instance, Instance]]]


async def two_countries(
    servers: Endpoints, new_database: DatabaseFactory, machine_token: TokenFactory, pki: Path
) -> AsyncIterator[InstanceFactory]:
    """Starts Cambodia's and Viet Nam's instances; `counterpart` overrides tune what each side
    expects of the other (deadlines); only the listeners of `borders` are opened; a long
    `delivery_poll_seconds` leaves messages queued after the first look; `namespaces` puts an
    instance's events where other services under test read them; `span_exporters` receive both
    instances' spans besides the collector."""
    stack: list[Any] = []

    async def start(
        *,
        borders: tuple[str, ...] = ("KHM", "VNM"),
        namespaces: dict[str, str] | None = None,
        span_exporters: tuple[SpanExporter, ...] = (),
        delivery_poll_seconds: float = 0.05,
        **counterpart: Any,
    ) -> tuple[Instance, Instance]:
        credentials = {code: country_credentials(pki, code) for code in ("KHM", "VNM")}
        ports = {code: free_port() for code in credentials}
        instances = []
        for code, other in (("KHM", "VNM"), ("VNM", "KHM")):
            settings = RepatriationSettings(
                database_url=await new_database(),
                kafka_bootstrap=servers.kafka_bootstrap,
                keycloak_url=servers.keycloak_url,
                otlp_endpoint=servers.otlp_endpoint,
                metric_export_seconds=1,
                realm=REALM[code],
                topic_namespace=(namespaces or {}).get(code) or scratch_namespace(code.lower()),
                outbox_poll_seconds=0.05,
                jwks_min_refresh_seconds=0,
                country=Country(code),
                signing_key=credentials[code].signing_key_pem(),
                signing_key_id=credentials[code].signing_key_id,
                master_key=base64.b64encode(os.urandom(32)).decode(),
                counterparts=[
                    Counterpart(
                        country=Country(other),
                        endpoint=f"https://127.0.0.1:{ports[other]}",
                        keys={credentials[other].signing_key_id: credentials[other].public_jwk()},
                        token_issuer=f"{servers.keycloak_url}/realms/{REALM[other]}",
                        certificate=credentials[other].certificate_pem(),
                        **counterpart,
                    )
                ],
                tls_certificate=credentials[code].certificate,
                tls_private_key=credentials[code].private_key,
                crossborder_port=ports[code],
                gateway_token_url=f"{servers.keycloak_url}/realms/{REALM[code]}/protocol/openid-connect/token",
                gateway_client_id=GATEWAY[code],
                gateway_client_secret=servers.client_secret(GATEWAY[code]),
                delivery_poll_seconds=delivery_poll_seconds,
                delivery_backoff_seconds=0.1,
                delivery_backoff_max_seconds=0.5,
                deadline_scan_seconds=0.2,
            )
            app = build(settings, span_exporters=span_exporters)
            context = running(app)
            api = await context.__aenter__()
            stack.append(context)
            client_id, realm = OFFICER[code]
            instance = Instance(
                code,
                settings,
                app,
                api,
                {"Authorization": f"Bearer {machine_token(client_id, realm)}"},
                credentials[code],
            )
            stack.append(instance)
            if code in borders:
                await instance.open_border()
            instances.append(instance)
        return instances[0], instances[1]

    yield start
    # Apps first: their couriers close their TLS connections cleanly, so the listeners stop at once.
    for item in reversed(stack):
        if not isinstance(item, Instance):
            await item.__aexit__(None, None, None)
    for item in stack:
        if isinstance(item, Instance):
            await item.close_border()


def person(**overrides: Any) -> dict[str, Any]:
    return {
        "names": ["Sreyneang Example"],
        "sex": "female",
        "birth_date": "1999-04-02",
        "claimed_nationality": "KHM",
        "place_of_origin": "Kampong Cham, Cheung Prey",
        "is_child": False,
        **overrides,
    }


CONSENT = {"purpose": "sharing-cross-border", "given_by": "person", "recorded_at": "2026-11-01T09:00:00+07:00"}


def return_request(case_id: str | None = None, origin: str = "KHM", **person_overrides: Any) -> dict[str, Any]:
    return {
        "case_id": case_id or f"case-{uuid.uuid4().hex}",
        "origin_country": origin,
        "person": person(**person_overrides),
        "consent": CONSENT,
        "exploitation_types": ["sexual"],
    }


async def asked_of_viet_nam(kh: Instance) -> tuple[str, str]:
    """Cambodia asks Viet Nam to take a Vietnamese person back: the case id and the return's reference."""
    asked = return_request(origin="VNM", claimed_nationality="VNM")
    answer = await kh.api.post("/repatriations", json=asked, headers=kh.officer)
    assert answer.status_code == 201, answer.text
    return asked["case_id"], answer.json()["reference"]


async def post_jws(client: httpx.AsyncClient, url: str, jws: str, token: str) -> httpx.Response:
    return await client.post(
        f"{url}/sop/v1/messages",
        content=jws.encode(),
        headers={"Content-Type": MEDIA_TYPE, "Authorization": f"Bearer {token}"},
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test authority and country credentials, generated once per test session."""
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
async def countries(
    servers: Endpoints, new_database: DatabaseFactory, machine_token: TokenFactory, pki: Path
) -> AsyncIterator[InstanceFactory]:
    async for start in two_countries(servers, new_database, machine_token, pki):
        yield start
