"""A test certificate authority and, per country, the repatriation instance's TLS certificate and
SOP signing key: generated once into a folder outside git, for `make up` and the tests."""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from spean_contracts.sop import public_jwk

VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CountryCredentials:
    country: str
    certificate: Path
    private_key: Path
    signing_key: Path
    signing_key_id: str

    def certificate_pem(self) -> str:
        return self.certificate.read_text()

    def signing_key_pem(self) -> str:
        return self.signing_key.read_text()

    def signing_private_key(self) -> ec.EllipticCurvePrivateKey:
        return _load_key(self.signing_key)

    def public_jwk(self) -> dict[str, Any]:
        """The signing key's public half as the counterpart pins it."""
        return public_jwk(self.signing_private_key(), self.signing_key_id)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _authority(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key_path, cert_path = folder / "ca.key", folder / "ca.pem"
    if cert_path.exists():
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), _load_key(key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Spean test authority (not for production)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key


def country_credentials(folder: Path, country: str) -> CountryCredentials:
    """The credentials of `country` (ISO alpha-3), created on first use, kept afterwards. Services start
    side by side, so creation holds a lock: two starters must not each mint their own authority."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _credentials(folder, country)


def _credentials(folder: Path, country: str) -> CountryCredentials:
    code = country.lower()
    credentials = CountryCredentials(
        country=country,
        certificate=folder / f"{code}-tls.pem",
        private_key=folder / f"{code}-tls.key",
        signing_key=folder / f"{code}-signing.key",
        signing_key_id=f"{code}-sop-1",
    )
    if credentials.certificate.exists() and credentials.signing_key.exists():
        return credentials
    authority, authority_key = _authority(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, country[:2]),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Spean repatriation {country}"),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"repatriation.{code}.spean.test"),
                ]
            )
        )
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(authority_key, hashes.SHA256())
    )
    _write_key(credentials.private_key, key)
    credentials.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    _write_key(credentials.signing_key, ec.generate_private_key(ec.SECP256R1()))
    return credentials
