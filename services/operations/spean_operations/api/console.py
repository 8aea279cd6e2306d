"""The console's page: one HTML document whose script polls /api/overview. Signed-out visitors are sent
to Keycloak; signed-in people without the operator role are told so."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from spean_kit.auth import Forbidden
from spean_operations.api.access import OPERATOR_ROLE, CurrentOperator, signed_in

STATIC = Path(__file__).parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def console(request: Request) -> Response:
    operator = await signed_in(request)
    if operator is None:
        return RedirectResponse("/login", status_code=303)
    if OPERATOR_ROLE not in operator.roles:
        raise Forbidden(f"the console is for the {OPERATOR_ROLE} role")
    return HTMLResponse((STATIC / "console.html").read_text(), headers={"Cache-Control": "no-store"})


@router.get("/auth/check", status_code=204)
async def check(_: CurrentOperator) -> None:
    """204 for a signed-in operator, else 401 or 403: the ingress asks this before it lets a browser
    through to the trace store, which has no sign-in of its own (deploy/k8s/base/ingress.yaml)."""
