"""The cross-border listener: the only door a counterpart country knocks on. Served over mutual TLS
(see tls.py), it takes a signed SOP message and answers with a signed receipt or a signed error.

Counterpart tokens are checked against the counterpart's own issuer; this country's tokens, and any
other issuer's, are refused here, and the counterpart's tokens are refused by every other endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import BaseModel, Field

from spean_contracts.sop import MEDIA_TYPE, ProtocolFault, Reason, ReceiptStatus
from spean_kit.auth import UNTRUSTED_ISSUER, Forbidden, KeySet, TokenVerifier, Unauthenticated, claimed_issuer
from spean_kit.errors import Problem, install_error_handlers
from spean_kit.openapi import ServiceAPI
from spean_kit.service import Runtime
from spean_repatriation.domain.procedure import StepRefused
from spean_repatriation.exchange import Exchange, receive
from spean_repatriation.settings import Counterpart, jwks_url

STATUS: dict[Reason, int] = {
    Reason.MALFORMED: 400,
    Reason.BAD_SIGNATURE: 400,
    Reason.UNKNOWN_KEY: 400,
    Reason.WRONG_PARTY: 403,
    Reason.UNKNOWN_CASE: 404,
    Reason.BROKEN_CHAIN: 409,
    Reason.STEP_NOT_ALLOWED: 409,
    Reason.CONFLICTING_DUPLICATE: 409,
    Reason.SAFEGUARDS_MISSING: 422,
    Reason.NOTICE_TOO_SHORT: 422,
}


class Taken(BaseModel):
    """The listener's answer to a message it took."""

    status: ReceiptStatus
    receipt: str = Field(description="A compact JWS of the Receipt, signed by this country: keep it as proof.")


_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token of the counterpart's own identity provider, whose issuer this instance pins.",
)


Verifiers = dict[str, tuple[Counterpart, TokenVerifier]]


async def counterpart_of(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Counterpart:
    """The counterpart whose token this is, from the token's issuer; any other issuer is refused."""
    if credentials is None:
        raise Unauthenticated("a counterpart's bearer token is required")
    issuer = claimed_issuer(credentials.credentials)
    verifiers: Verifiers = request.app.state.verifiers
    if issuer not in verifiers:
        raise Unauthenticated(UNTRUSTED_ISSUER)
    counterpart, verifier = verifiers[issuer]
    principal = await verifier.verify(credentials.credentials)
    if not principal.has_any(["repatriation-officer"]):
        raise Forbidden("this needs one of the roles: repatriation-officer")
    return counterpart


def crossborder_app(national: FastAPI, exchange: Exchange) -> FastAPI:
    """The listener's app; it shares the national app's runtime (database, outbox) once that started."""
    settings = exchange.settings
    verifiers: Verifiers = {
        counterpart.token_issuer: (
            counterpart,
            TokenVerifier(
                issuer=counterpart.token_issuer,
                audience=counterpart.token_audience,
                keys=KeySet(
                    jwks_url(counterpart),
                    max_age=settings.jwks_max_age_seconds,
                    min_refresh=settings.jwks_min_refresh_seconds,
                ),
            ),
        )
        for counterpart in settings.counterparts
    }

    app = ServiceAPI(
        title=f"Spean repatriation: cross-border listener of {settings.country.value}",
        description="The SOP's signed messages between countries; see contracts/repatriation-protocol.md.",
    )
    app.state.verifiers = verifiers
    install_error_handlers(app)

    @app.get("/sop/v1/keys", tags=["cross-border"])
    async def public_keys() -> dict[str, Any]:
        """This country's public signing keys (JWKS), for a counterpart to pin."""
        return exchange.public_keys()

    @app.post(
        "/sop/v1/messages",
        tags=["cross-border"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {MEDIA_TYPE: {"schema": {"type": "string", "description": "A compact JWS"}}},
            }
        },
        responses={
            200: {"description": "Stored (or a duplicate of a stored message)", "model": Taken},
            202: {"description": "Parked until the case's previous message arrives", "model": Taken},
            400: {"description": "Refused (malformed, bad signature, unknown key): problem+json with `signed`"},
            404: {"description": "Unknown case: problem+json with `signed`"},
            409: {"description": "Broken chain, step not allowed, conflicting duplicate: problem+json with `signed`"},
            422: {"description": "Child safeguards missing, handover notice too short: problem+json with `signed`"},
            503: {
                "description": "Starting, or its database out of reach: nothing stored; send again after `Retry-After`"
            },
        },
    )
    async def take_message(
        request: Request, counterpart: Annotated[Counterpart, Depends(counterpart_of)]
    ) -> JSONResponse:
        runtime: Runtime | None = getattr(national.state, "runtime", None)
        if runtime is None:
            raise Problem(503, "Starting", "the service is starting; send again shortly", headers={"Retry-After": "5"})
        now = datetime.now(UTC)
        raw = await request.body()
        try:
            jws = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            jws = ""
        try:
            async with runtime.sessions() as session, session.begin():
                received = await receive(session, runtime.stage, exchange, counterpart, jws, now=now)
        except (ProtocolFault, StepRefused) as refused:
            raise Problem(
                STATUS[refused.reason],
                "Message refused",
                refused.detail,
                kind=f"sop-{refused.reason.value}",
                extra={"reason": refused.reason.value, "signed": exchange.error(refused, jws or None, now)},
            ) from None
        return JSONResponse(
            {"status": received.status.value, "receipt": exchange.receipt(received.message, jws, received.status, now)},
            status_code=202 if received.status is ReceiptStatus.PARKED else 200,
        )

    telemetry = getattr(national.state, "telemetry", None)
    if telemetry is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
        )
    return app
