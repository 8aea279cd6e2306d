"""The certificates of the cross-border exchange: one ending within weeks is logged, and every one's
time left is in the metrics, this instance's own and each counterpart's pinned ones."""

from __future__ import annotations

import asyncio
import logging
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from spean_local.pki import country_credentials
from spean_repatriation.certificates import InUse, certificate_watch, report_validity
from spean_repatriation.tls import client_context, server_context
from tests.support.repatriation import InstanceFactory, presenting


def certificate_ending(at: datetime, name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(at - timedelta(days=365))
        .not_valid_after(at)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def test_a_pinned_certificate_ending_within_weeks_is_logged_and_every_one_is_measured(
    countries: InstanceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    kh, _ = await countries(borders=())
    now = datetime.now(UTC)
    # Viet Nam renewing: its old certificate, ending in ten days, pinned beside the new one.
    (vietnam,) = kh.settings.counterparts
    renewing = vietnam.model_copy(
        update={"certificate": certificate_ending(now + timedelta(days=10), "old.vnm.spean.test") + vietnam.certificate}
    )
    settings = kh.settings.model_copy(update={"counterparts": [renewing]})

    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="spean_repatriation.certificates"):
        watch = certificate_watch(InUse(settings), timedelta(days=30), 60)
        watching = asyncio.ensure_future(watch(kh.app.state.runtime, stop))
        await asyncio.sleep(0.2)
        stop.set()
        await watching
    reader = InMemoryMetricReader()
    report_validity(MeterProvider(metric_readers=[reader]).get_meter("test"), InUse(settings))
    metrics = reader.get_metrics_data()
    assert metrics is not None
    points = {
        (str(attributes["certificate.holder"]), str(attributes["certificate.subject"])): point.value
        for resource in metrics.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint) and (attributes := point.attributes) is not None
    }

    (warning,) = [r for r in caplog.records if r.name == "spean_repatriation.certificates"]
    assert warning.message.startswith("certificate ends soon")
    assert (warning.holder, warning.subject, warning.days_left) == ("counterpart VNM", "old.vnm.spean.test", 9)  # type: ignore[attr-defined]
    assert set(points) == {
        ("own", "repatriation.khm.spean.test"),
        ("counterpart VNM", "old.vnm.spean.test"),
        ("counterpart VNM", "repatriation.vnm.spean.test"),
    }
    assert 9 * 86400 < points["counterpart VNM", "old.vnm.spean.test"] <= 10 * 86400
    assert points["own", "repatriation.khm.spean.test"] > 30 * 86400


async def handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> bytes:
    """What a TLS client with `client` reads from a listener with `server` that greets it once connected:
    nothing if the handshake fails (with TLS 1.3 the client may learn it only as it reads)."""

    async def greet(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=server)
    port = listener.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname="127.0.0.1")
        try:
            return await reader.read(2)
        except (ssl.SSLError, ConnectionResetError):
            return b""
        finally:
            writer.close()
    except (ssl.SSLError, ConnectionResetError):
        return b""
    finally:
        listener.close()
        await listener.wait_closed()


async def test_a_counterpart_renewing_its_certificate_is_pinned_with_both_and_either_gets_through(
    countries: InstanceFactory, tmp_path: Path
) -> None:
    kh, vn = await countries(borders=())
    renewed = country_credentials(tmp_path / "renewed", "VNM")
    stranger = country_credentials(tmp_path / "stranger", "THA")
    (vietnam,) = kh.settings.counterparts
    both = vietnam.model_copy(update={"certificate": vietnam.certificate + renewed.certificate_pem()})
    settings = kh.settings.model_copy(update={"counterparts": [both]})
    cambodia = kh.credentials.certificate_pem()

    # Cambodia's listener, Viet Nam calling with its old certificate, its new one, and a stranger's.
    listened = [await handshake(server_context(settings), presenting(c, cambodia)) for c in (vn.credentials, renewed)]
    refused = await handshake(server_context(settings), presenting(stranger, cambodia))
    # Cambodia's courier calling Viet Nam's listener, which presents either certificate.
    called = []
    for listening in (vn.credentials, renewed):
        presented = {"tls_certificate": listening.certificate, "tls_private_key": listening.private_key}
        listener = server_context(vn.settings.model_copy(update=presented))
        called.append(await handshake(listener, client_context(settings, both)))

    assert listened == called == [b"ok", b"ok"]
    assert refused == b"", "a certificate from the same kind of authority, but not pinned, is refused"
