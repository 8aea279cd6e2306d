"""Who may use the console: operators signed in through Keycloak (a sealed session cookie), or a
system presenting an operator's bearer token. Either way the `operator` role is required."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import col

from spean_kit.auth import Forbidden, TokenVerifier, Unauthenticated
from spean_kit.service import runtime_of
from spean_operations.adapters.tables import ConsoleSession
from spean_operations.domain.sessions import Operator, unseal
from spean_operations.settings import OperationsSettings

SESSION_COOKIE = "spean_console"
# Each sign-in's own id, sealed in its cookie: the session the console holds for it (ConsoleSession).
SESSION_ID = "sid"
SIGNIN_COOKIE = "spean_signin"
OPERATOR_ROLE = "operator"
# A header a page of ours sends and another site's form cannot: with the Lax cookie, no cross-site
# request can replay an event in an operator's name.
CONSOLE_HEADER = "X-Spean-Console"

_bearer = HTTPBearer(auto_error=False)


def settings_of(request: Request) -> OperationsSettings:
    settings: OperationsSettings = request.app.state.runtime.settings
    return settings


def session_key(settings: OperationsSettings) -> bytes:
    return settings.session_key.encode()


def session_payload(request: Request) -> dict[str, Any] | None:
    """The console session the request's cookie seals, if it is intact and not expired."""
    sealed = request.cookies.get(SESSION_COOKIE)
    payload = unseal(sealed, session_key(settings_of(request)), now=time.time()) if sealed else None
    return payload if payload and isinstance(payload.get(SESSION_ID), str) else None


def _cipher(settings: OperationsSettings) -> AESGCM:
    return AESGCM(hashlib.sha256(b"spean console refresh tokens\0" + session_key(settings)).digest())


def seal_refresh_token(settings: OperationsSettings, session_id: str, token: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + _cipher(settings).encrypt(nonce, token.encode(), session_id.encode())


def _open_refresh_token(settings: OperationsSettings, row: ConsoleSession) -> str:
    sealed = row.sealed_refresh_token
    return _cipher(settings).decrypt(sealed[:12], sealed[12:], row.session_id.encode()).decode()


async def signed_in(request: Request) -> Operator | None:
    """The operator of the request's console session, as Keycloak last confirmed them: asked again once
    the last answer is older than the settings' recheck interval."""
    payload = session_payload(request)
    if payload is None:
        return None
    runtime, settings = runtime_of(request), settings_of(request)
    async with runtime.sessions() as session, session.begin():
        standing = await session.get(ConsoleSession, payload[SESSION_ID], with_for_update=True)
        if standing is None:
            return None
        age = (datetime.now(UTC) - standing.checked_at).total_seconds()
        if age > settings.session_recheck_seconds:
            verifier: TokenVerifier = request.app.state.token_verifier
            stands = await _recheck(settings, verifier, standing)
            # Ended at Keycloak, or unconfirmed for longer than an outage is given.
            if stands is False or (stands is None and age > settings.session_recheck_grace_seconds):
                await session.delete(standing)
                return None
            session.add(standing)
        roles = tuple(sorted(standing.roles))
    return Operator.from_payload(payload, roles)


async def _recheck(settings: OperationsSettings, verifier: TokenVerifier, standing: ConsoleSession) -> bool | None:
    """Asks Keycloak, with the session's refresh token, whether it still stands: True (and `standing`
    holds the roles Keycloak gives now), False if Keycloak ended the session or disabled the operator,
    None if Keycloak could not be reached."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.post(
                f"{settings.realm_url}/protocol/openid-connect/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": _open_refresh_token(settings, standing),
                    "client_id": settings.console_client_id,
                    "client_secret": settings.console_client_secret,
                },
            )
    except httpx.HTTPError:
        return None
    if answer.status_code >= 500:
        return None
    if answer.status_code != 200:
        return False
    tokens = answer.json()
    principal = await verifier.verify(tokens["access_token"])
    standing.roles, standing.checked_at = sorted(principal.roles), datetime.now(UTC)
    if "refresh_token" in tokens:
        standing.sealed_refresh_token = seal_refresh_token(settings, standing.session_id, tokens["refresh_token"])
    return True


async def revoke_session(request: Request) -> None:
    """The request's console session, if any, is refused from now on: its cookie, even a copy of it,
    names a session the console no longer holds."""
    payload = session_payload(request)
    if payload is None:
        return
    async with runtime_of(request).sessions() as session, session.begin():
        await session.exec(sa.delete(ConsoleSession).where(col(ConsoleSession.session_id) == payload[SESSION_ID]))


async def current_operator(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Operator:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.verify(credentials.credentials)
        operator = Operator(principal.subject, principal.agency, tuple(sorted(principal.roles)))
    else:
        found = await signed_in(request)
        if found is None:
            raise Unauthenticated("sign in at /login, or send an operator's bearer token")
        if request.method not in ("GET", "HEAD") and request.headers.get(CONSOLE_HEADER) != "1":
            raise Forbidden(f"a change through the console's session needs the {CONSOLE_HEADER} header")
        operator = found
    if OPERATOR_ROLE not in operator.roles:
        raise Forbidden(f"this needs the role: {OPERATOR_ROLE}")
    return operator


CurrentOperator = Annotated[Operator, Depends(current_operator)]
