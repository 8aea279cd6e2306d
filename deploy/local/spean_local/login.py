"""Staff sign-in without a browser: the authorization code flow (with PKCE) of the national realm's
public client, through an agency's identity provider, driven over plain HTTP by following the same
Keycloak pages a person would see. Used by the tests and by `spean login`."""

from __future__ import annotations

import base64
import hashlib
import html
import http.cookiejar
import re
import secrets
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

PORTAL_CLIENT = "spean-portal"
# A loopback address nobody listens on: the flow ends when Keycloak redirects there with the code.
REDIRECT_URI = "http://127.0.0.1:49152/signed-in"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FORM = re.compile(r"<form\b[^>]*\baction=\"(?P<action>[^\"]+)\"", re.IGNORECASE)
INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"(\w[\w-]*)=\"([^\"]*)\"")
FEEDBACK = re.compile(r"id=\"(?:input-error[\w-]*|kc-error-message)\"[^>]*>(?P<text>.*?)</", re.DOTALL)


class SignInFailed(Exception):
    """Keycloak did not let the user through; the message is Keycloak's own feedback when it gave one."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None


class _BrowserCookies(http.cookiejar.DefaultCookiePolicy):
    """Keycloak's cookies kept the way a browser keeps them: their `Version=1` attribute is ignored
    (the standard library would otherwise never send them back), and their Secure flag is dropped for a
    loopback address, which browsers treat as a secure origin even over plain HTTP. Done when a cookie
    is stored, because httpx copies cookies into a jar of the default policy for every request."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        cookie.version = 0
        if urlsplit(request.get_full_url()).hostname in LOOPBACK:
            cookie.secure = False
        return super().set_ok(cookie, request)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _form(page: str, base_url: str) -> tuple[str, dict[str, str]]:
    """The page's form: where it posts, and the values its inputs already carry."""
    found = FORM.search(page)
    if found is None:
        feedback = FEEDBACK.search(page)
        reason = html.unescape(feedback.group("text")).strip() if feedback else "an unexpected page"
        raise SignInFailed(f"Keycloak answered with {reason}")
    fields: dict[str, str] = {}
    for tag in INPUT.findall(page):
        attributes = {name.lower(): html.unescape(value) for name, value in ATTRIBUTE.findall(tag)}
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return urljoin(base_url, html.unescape(found.group("action"))), fields


def broker_sign_in(
    keycloak_url: str,
    agency: str,
    username: str,
    password: str,
    *,
    realm: str = "spean",
    client_id: str = PORTAL_CLIENT,
    max_steps: int = 12,
) -> Tokens:
    """Sign `username` in at the identity provider `agency` (its alias in the national realm) and return
    the national realm's tokens."""
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(16)
    realm_url = f"{keycloak_url.rstrip('/')}/realms/{realm}/protocol/openid-connect"
    jar = http.cookiejar.CookieJar(policy=_BrowserCookies())
    with httpx.Client(follow_redirects=False, timeout=15, cookies=jar) as client:
        answer = client.get(
            f"{realm_url}/auth",
            params={
                "client_id": client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": REDIRECT_URI,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "kc_idp_hint": agency,
            },
        )
        submitted_password = False
        for _ in range(max_steps):
            if answer.is_redirect:
                location = urljoin(str(answer.url), answer.headers["location"])
                if location.startswith(REDIRECT_URI):
                    query = parse_qs(urlsplit(location).query)
                    if "error" in query:
                        raise SignInFailed(f"Keycloak refused the sign-in: {query['error'][0]}")
                    if query.get("state") != [state]:
                        raise SignInFailed("the sign-in came back with another state; refusing it")
                    return _exchange(client, realm_url, client_id, query["code"][0], verifier)
                answer = client.get(location)
                continue
            action, fields = _form(answer.text, str(answer.url))
            if "password" in fields:
                if submitted_password:
                    raise SignInFailed(f"the agency's identity provider refused {username}'s password")
                fields.update(username=username, password=password)
                submitted_password = True
            answer = client.post(action, data=fields)
        raise SignInFailed(f"the sign-in did not finish within {max_steps} pages")


def _exchange(client: httpx.Client, realm_url: str, client_id: str, code: str, verifier: str) -> Tokens:
    answer = client.post(
        f"{realm_url}/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    if answer.status_code != 200:
        raise SignInFailed(f"the code exchange failed: {answer.json().get('error_description', answer.text)}")
    body = answer.json()
    return Tokens(body["access_token"], body.get("refresh_token"), body.get("id_token"))
