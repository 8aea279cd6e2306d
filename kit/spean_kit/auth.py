"""Bearer tokens from Keycloak, checked locally against the realm's published keys (JWKS).

Signature, issuer, audience, expiry and not-before are checked on every request. A token whose key id
is unknown makes the key set refresh (at most once per `min_refresh` seconds), so a rotated realm key
is picked up without a restart; keys are also refreshed after `max_age`, so a removed key stops being
trusted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spean_kit.errors import Problem, unavailable

ALGORITHMS = ["RS256", "PS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, its agency and roles. Never the person's name."""

    subject: str
    agency: str | None
    roles: frozenset[str]
    client_id: str | None
    issuer: str
    organisation: str | None = None
    """For staff of a service provider: the provider's id in the directory (claim `organisation`)."""

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & set(roles))


def acting_agency(agency: str | None, office: str | None) -> str | None:
    """The agency a principal acts for: its office (claim `office`, from the agency's own identity provider)
    where that is one of the agency's units (`MOSVY-POIPET-TC` of `MOSVY`), so that a transit centre's staff
    are counted as the centre; otherwise the agency the national realm stamped. An office naming anything
    else (another agency, another agency's unit) is ignored: an agency vouches only for its own units."""
    if agency and office and office.startswith(f"{agency}-"):
        return office
    return agency


class Unauthenticated(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(
            401, "Authentication required", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )


class Forbidden(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, "Forbidden", detail)


UNTRUSTED_ISSUER = "the token was issued by an issuer this service does not trust"


def claimed_issuer(token: str) -> str | None:
    """The issuer a token names, before anything about it is verified: enough to pick, or refuse, the
    issuer whose keys would verify it."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.DecodeError:
        raise Unauthenticated("the bearer token is not a JWT") from None
    return str(issuer) if issuer is not None else None


class KeySet:
    """The realm's signing keys, fetched from its JWKS endpoint and refreshed as described above."""

    def __init__(self, jwks_url: str, *, max_age: float = 300, min_refresh: float = 10) -> None:
        self.jwks_url = jwks_url
        self.max_age = max_age
        self.min_refresh = min_refresh
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.get(self.jwks_url)
            answer.raise_for_status()
        keys: dict[str, jwt.PyJWK] = {}
        for entry in answer.json().get("keys", []):
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWKError:
                continue
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.max_age or (kid not in self._keys and age > self.min_refresh):
                try:
                    await self._refresh()
                except httpx.HTTPError:
                    if not self._keys:
                        raise
            return self._keys.get(kid)


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, keys: KeySet) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys

    async def verify(self, token: str) -> Principal:
        # Checked before any key is looked up, so a stranger's token never makes us refetch our keys.
        if claimed_issuer(token) != self.issuer:
            raise Unauthenticated(UNTRUSTED_ISSUER)
        header = jwt.get_unverified_header(token)
        try:
            key = await self.keys.key(str(header.get("kid", "")))
        except httpx.HTTPError:
            # The token may well be good: the caller should send it again, not sign in again.
            raise unavailable(
                "the identity provider's keys cannot be fetched to check the token; send again shortly"
            ) from None
        if key is None:
            raise Unauthenticated("the token is signed by a key this realm does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"the token is not meant for {self.audience}") from None
        except jwt.MissingRequiredClaimError as missing:
            if missing.claim == "aud":
                raise Unauthenticated(f"the token is not meant for {self.audience}") from None
            raise Unauthenticated(f"the token lacks the {missing.claim} claim") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(UNTRUSTED_ISSUER) from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature is invalid") from None
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"the token is invalid: {type(error).__name__}") from None
        roles = claims.get("realm_access", {}).get("roles", [])
        return Principal(
            subject=str(claims["sub"]),
            agency=acting_agency(claims.get("agency"), claims.get("office")),
            roles=frozenset(str(role) for role in roles),
            client_id=claims.get("azp"),
            issuer=str(claims["iss"]),
            organisation=claims.get("organisation"),
        )


_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token of Spean's Keycloak realm, issued to this service's audience (`spean-<service>`).",
)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


Authenticated = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets through only principals holding at least one of `roles`. They are the
    bearer token's scopes to FastAPI, so the service's OpenAPI document lists them in the operation's
    security requirement, as OpenAPI 3.1 provides for role names."""
    needed = sorted(roles)
    # A default, not an annotation: annotations are resolved from the module, where `needed` is unknown.
    holder = Security(current_principal, scopes=needed)

    async def dependency(principal: Principal = holder) -> Principal:
        if not principal.has_any(roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(needed)}")
        return principal

    return dependency
