"""Mutual TLS between the countries' instances. Each side pins its counterparts' own certificates
(partial-chain verification): a certificate from the same authority but another holder is refused."""

from __future__ import annotations

import ssl
from collections.abc import Iterable

from spean_repatriation.settings import Counterpart, RepatriationSettings


def _pinned(purpose: ssl.Purpose, certificates: Iterable[str], settings: RepatriationSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(purpose, cadata="\n".join(certificates))
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(settings.tls_certificate, settings.tls_private_key)
    return context


def server_context(settings: RepatriationSettings) -> ssl.SSLContext:
    """The cross-border listener: only configured counterparts' certificates get through the handshake."""
    return _pinned(ssl.Purpose.CLIENT_AUTH, [c.certificate for c in settings.counterparts], settings)


def client_context(settings: RepatriationSettings, counterpart: Counterpart) -> ssl.SSLContext:
    """Calling `counterpart`: its certificate alone is trusted, and ours is presented."""
    return _pinned(ssl.Purpose.SERVER_AUTH, [counterpart.certificate], settings)
