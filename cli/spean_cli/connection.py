"""How the command line reaches Spean: the services' addresses (those of `make up` unless
SPEAN_<SERVICE>_URL says otherwise), Keycloak, and tokens for demo users and machine clients."""

from __future__ import annotations

import os
import time

from keycloak.exceptions import KeycloakError

from spean_cli.state import State
from spean_local.endpoints import Endpoints
from spean_local.login import SignInFailed, broker_sign_in
from spean_local.paths import Layout, Ports

SERVICES = ("identification", "referral", "repatriation", "registry", "repatriation-vn")


class Failure(Exception):
    """A reason to stop, said in one line."""


def endpoints() -> Endpoints:
    return Endpoints.local(Layout.from_env(), Ports())


def service_url(service: str) -> str:
    if service not in SERVICES:
        raise Failure(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    ports = Ports()
    default = {
        "identification": ports.identification,
        "referral": ports.referral,
        "repatriation": ports.repatriation["KHM"],
        "registry": ports.registry,
        "repatriation-vn": ports.repatriation["VNM"],
    }[service]
    return os.environ.get(f"SPEAN_{service.upper().replace('-', '_')}_URL", f"http://127.0.0.1:{default}")


def trace_url(trace_id: str) -> str:
    """Where a trace is shown: the trace store's web UI (Zipkin's, in `make up`)."""
    base = os.environ.get("SPEAN_TRACE_UI_URL", f"http://127.0.0.1:{Ports().zipkin}/zipkin")
    return f"{base.rstrip('/')}/traces/{trace_id}"


def sign_in(state: State, identity: str) -> None:
    """`identity` is `client:<machine client>` or `user:<agency>/<username>` (a demo user)."""
    found = endpoints()
    kind, _, name = identity.partition(":")
    if kind == "client":
        try:
            body = found.client_token(name)
        except KeycloakError as refused:
            raise Failure(f"Keycloak refused {name}: {refused.error_message!s}") from None
        state.token, state.expires_at = body["access_token"], time.time() + float(body["expires_in"])
    else:
        agency, _, username = name.partition("/")
        password = found.keycloak_user_passwords.get(f"agency-{agency}/{username}")
        if password is None:
            raise Failure(f"no demo user {username!r} at agency {agency!r} (see deploy/keycloak/demo-users.json)")
        try:
            tokens = broker_sign_in(found.keycloak_url, agency, username, password)
        except SignInFailed as failed:
            raise Failure(str(failed)) from None
        state.token, state.expires_at = tokens.access_token, time.time() + 300
    state.identity = identity


def bearer(state: State) -> dict[str, str]:
    if state.identity is None:
        raise Failure("not signed in: run `spean login --as <agency>/<user>` or `spean login --client <id>`")
    if not state.fresh():
        sign_in(state, state.identity)
        state.save()
    return {"Authorization": f"Bearer {state.token}"}
