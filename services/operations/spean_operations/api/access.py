"""Who may use the console: operators signed in through Keycloak (a sealed session cookie), or a
system presenting an operator's bearer token. Either way the `operator` role is required."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from spean_kit.auth import Forbidden, TokenVerifier, Unauthenticated
from spean_kit.service import runtime_of
from spean_operations.adapters.tables import RevokedSession
from spean_operations.domain.sessions import Operator, unseal
from spean_operations.settings import OperationsSettings

SESSION_COOKIE = "spean_console"
# Each sign-in's own id, sealed in its cookie: signing out revokes it (see RevokedSession).
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


async def signed_in(request: Request) -> Operator | None:
    payload = session_payload(request)
    if payload is None:
        return None
    async with runtime_of(request).sessions() as session:
        if await session.get(RevokedSession, payload[SESSION_ID]) is not None:
            return None
    return Operator.from_payload(payload)


async def revoke_session(request: Request) -> None:
    """The request's console session, if any, is refused from now on: kept until its cookie would have
    expired, when the rows of sessions expired since go."""
    payload = session_payload(request)
    if payload is None:
        return
    async with runtime_of(request).sessions() as session, session.begin():
        now = datetime.now(UTC)
        await session.exec(sa.delete(RevokedSession).where(col(RevokedSession.expires_at) < now))
        expires_at = datetime.fromtimestamp(payload["exp"], UTC)
        await session.exec(
            insert(RevokedSession)
            .values(session_id=payload[SESSION_ID], expires_at=expires_at)
            .on_conflict_do_nothing()
        )


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
