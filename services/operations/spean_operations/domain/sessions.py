"""The console's browser session: who signed in (subject, agency, roles: never a name), sealed in a
cookie with an HMAC so that the console keeps no session store, and the PKCE pair of a sign-in.

A sealed value is `base64url(json).base64url(hmac)`; it says nothing secret (it is not encrypted) and
cannot be altered or kept past its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(payload: dict[str, Any], key: bytes, *, expires_at: float) -> str:
    body = _b64(json.dumps(payload | {"exp": expires_at}, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def unseal(sealed: str, key: bytes, *, now: float) -> dict[str, Any] | None:
    """The payload, or None when the value was altered, is malformed or has expired."""
    body, _, signature = sealed.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        payload: dict[str, Any] = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(payload.get("exp"), int | float) or payload["exp"] <= now:
        return None
    return payload


@dataclass(frozen=True)
class SignIn:
    """One sign-in in flight: `state` ties Keycloak's answer to this browser, `verifier` proves that
    the code is redeemed by whoever asked for it (PKCE, S256)."""

    state: str
    verifier: str

    @classmethod
    def new(cls) -> SignIn:
        return cls(state=secrets.token_urlsafe(24), verifier=secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        return _b64(hashlib.sha256(self.verifier.encode()).digest())


@dataclass(frozen=True)
class Operator:
    subject: str
    agency: str | None
    roles: tuple[str, ...]

    def as_payload(self) -> dict[str, Any]:
        """Who signed in, for the session's cookie. Not the roles: those are Keycloak's latest answer,
        kept with the session (ConsoleSession)."""
        return {"sub": self.subject, "agency": self.agency}

    @classmethod
    def from_payload(cls, payload: dict[str, Any], roles: tuple[str, ...]) -> Operator:
        return cls(subject=str(payload["sub"]), agency=payload.get("agency"), roles=roles)
