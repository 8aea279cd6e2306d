"""How long the certificates the cross-border exchange rests on stay valid: this instance's own, and
each counterpart's pinned ones. A certificate past its end stops the exchange at the TLS handshake,
and nobody sees it but the officers whose returns wait; so the service says weeks before, in its log
every few hours and in its metrics (`spean.certificate.validity`, seconds left, by holder)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.service import Runtime
from spean_kit.workers import Worker, periodic
from spean_repatriation.settings import RepatriationSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Certificate:
    """One certificate the exchange trusts or presents: whose, its subject's name, when it ends."""

    holder: str
    subject: str
    not_after: datetime


class InUse:
    """The certificates the running service uses, read once, when first wanted, as its TLS contexts
    read them at start: a certificate file replaced since is not in use until the service restarts.
    Not when the app is built: its API document is made from an app built without any certificate."""

    def __init__(self, settings: RepatriationSettings) -> None:
        self._settings = settings

    @functools.cached_property
    def certificates(self) -> list[Certificate]:
        return certificates_of(self._settings)


def certificates_of(settings: RepatriationSettings) -> list[Certificate]:
    """This instance's certificate, then each counterpart's pinned ones (a counterpart renewing its
    certificate is pinned with both, old and new, until it has switched)."""
    pinned = [("own", settings.tls_certificate.read_bytes())]
    pinned += [(f"counterpart {c.country.value}", c.certificate.encode()) for c in settings.counterparts]
    return [
        Certificate(holder, _subject(certificate), certificate.not_valid_after_utc)
        for holder, pem in pinned
        for certificate in x509.load_pem_x509_certificates(pem)
    ]


def _subject(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def ending(certificates: Iterable[Certificate], now: datetime, within: timedelta) -> list[Certificate]:
    """Those that end within `within` of `now`, or have ended, soonest first."""
    return sorted((c for c in certificates if c.not_after - now <= within), key=lambda c: c.not_after)


def certificate_watch(in_use: InUse, within: timedelta, every_seconds: float) -> Worker:
    """A worker that logs, every `every_seconds`, each certificate ending within `within` (an error once ended)."""

    async def watch_certificates(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        soon = ending(in_use.certificates, now, within)
        for certificate in soon:
            left = certificate.not_after - now
            fields = {
                "holder": certificate.holder,
                "subject": certificate.subject,
                "not_after": certificate.not_after.isoformat(),
                "days_left": left.days,
            }
            if left <= timedelta(0):
                log.error("certificate has ended: the cross-border exchange fails its handshake", extra=fields)
            else:
                log.warning("certificate ends soon: renew it and give the counterpart the new one", extra=fields)
        return len(soon)

    return periodic(watch_certificates, every_seconds)


def report_validity(meter: Meter, in_use: InUse) -> None:
    """The gauge `spean.certificate.validity`: seconds each certificate has left (negative once ended)."""

    def observe(_: CallbackOptions) -> Iterable[Observation]:
        now = datetime.now(UTC)
        for certificate in in_use.certificates:
            attributes = {"certificate.holder": certificate.holder, "certificate.subject": certificate.subject}
            yield Observation((certificate.not_after - now).total_seconds(), attributes)

    meter.create_observable_gauge(
        "spean.certificate.validity",
        unit="s",
        callbacks=[observe],
        description="Seconds until the certificate ends: this instance's own and each counterpart's pinned",
    )
