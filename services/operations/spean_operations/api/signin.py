"""Signing in to the console through Keycloak: the authorization-code flow with PKCE, on the console's
confidential client, ending in a sealed session cookie that names the operator by subject, never by name."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col

from spean_kit.auth import Forbidden, TokenVerifier, Unauthenticated
from spean_kit.errors import Problem
from spean_kit.service import runtime_of
from spean_operations.adapters.tables import ConsoleSession
from spean_operations.api.access import (
    OPERATOR_ROLE,
    SESSION_COOKIE,
    SESSION_ID,
    SIGNIN_COOKIE,
    revoke_session,
    seal_refresh_token,
    session_key,
    settings_of,
)
from spean_operations.domain.sessions import Operator, SignIn, seal, unseal
from spean_operations.settings import OperationsSettings

router = APIRouter(tags=["sign-in"], include_in_schema=False)

SIGNIN_SECONDS = 600


def _callback(settings: OperationsSettings) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/callback"


def _cookie(response: Response, settings: OperationsSettings, name: str, value: str, seconds: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
        path="/",
    )


@router.get("/login")
async def login(request: Request) -> RedirectResponse:
    settings = settings_of(request)
    attempt = SignIn.new()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.console_client_id,
            "redirect_uri": _callback(settings),
            "scope": "openid",
            "state": attempt.state,
            "code_challenge": attempt.challenge,
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/auth?{query}", status_code=303)
    sealed = seal(
        {"state": attempt.state, "verifier": attempt.verifier},
        session_key(settings),
        expires_at=time.time() + SIGNIN_SECONDS,
    )
    _cookie(response, settings, SIGNIN_COOKIE, sealed, SIGNIN_SECONDS)
    return response


@router.get("/auth/callback")
async def callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    settings = settings_of(request)
    if error is not None:
        raise Unauthenticated(f"Keycloak refused the sign-in: {error}")
    sealed = request.cookies.get(SIGNIN_COOKIE)
    attempt = unseal(sealed, session_key(settings), now=time.time()) if sealed else None
    if code is None or state is None or attempt is None or attempt["state"] != state:
        raise Problem(400, "Sign-in not recognised", "this sign-in was not started here or has expired; open /login")
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"{settings.realm_url}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": _callback(settings),
                "code_verifier": attempt["verifier"],
                "client_id": settings.console_client_id,
                "client_secret": settings.console_client_secret,
            },
        )
    if answer.status_code != 200:
        reason = answer.json().get("error_description", "") if answer.content else ""
        raise Unauthenticated(f"Keycloak did not exchange the sign-in code: {reason or answer.status_code}")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(answer.json()["access_token"])
    if OPERATOR_ROLE not in principal.roles:
        raise Forbidden(f"the console is for the {OPERATOR_ROLE} role; your agency has not given it to you")
    operator = Operator(principal.subject, principal.agency, tuple(sorted(principal.roles)))
    seconds = settings.session_minutes * 60
    response = RedirectResponse("/", status_code=303)
    session_id = secrets.token_urlsafe(18)
    payload = operator.as_payload() | {SESSION_ID: session_id}
    expires_at = time.time() + seconds
    session = seal(payload, session_key(settings), expires_at=expires_at)
    async with runtime_of(request).sessions() as db, db.begin():
        await db.exec(sa.delete(ConsoleSession).where(col(ConsoleSession.expires_at) < datetime.now(UTC)))
        db.add(
            ConsoleSession(
                session_id=session_id,
                sealed_refresh_token=seal_refresh_token(settings, session_id, answer.json()["refresh_token"]),
                roles=list(operator.roles),
                checked_at=datetime.now(UTC),
                expires_at=datetime.fromtimestamp(expires_at, UTC),
            )
        )
    _cookie(response, settings, SESSION_COOKIE, session, seconds)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """Ends the console's session and, through Keycloak, the single sign-on session behind it (and the
    agency's, which Keycloak signs out of in turn): on a shared workstation, the next person to open
    the console must sign in with their own password. Keycloak asks the operator to confirm, because
    the console keeps no ID token to vouch for the request. The session is revoked here and now: its
    cookie, had it been copied, no longer lets anyone in."""
    settings = settings_of(request)
    await revoke_session(request)
    query = urlencode(
        {
            "client_id": settings.console_client_id,
            "post_logout_redirect_uri": f"{settings.public_url.rstrip('/')}/login",
        }
    )
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/logout?{query}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
