"""The operators' console against the real servers: its API's answers and refusals, and, in headless
Chromium, an operator signing in through MoSVY's identity provider, watching live figures, opening a
dead-lettered event, replaying it to its topic and signing out."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from keycloak import KeycloakAdmin
from playwright.async_api import Page, async_playwright, expect

from spean_contracts.events import IdentificationDeadlineBreached
from spean_contracts.registry import IDENTIFICATION, spec_for_model
from spean_kit.deadletter import DeadLetters
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_operations.api.access import SESSION_COOKIE
from spean_operations.app import build
from spean_operations.settings import OperationsSettings
from tests.support.app import eventually, free_port, served
from tests.support.kafka import publish
from tests.support.platform import Platform, screening

ARTIFACTS = Path(os.environ.get("SPEAN_TEST_ARTIFACTS", Path(__file__).parents[2] / ".spean" / "artifacts"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENING = screening("Console Example")


@dataclass
class Console:
    url: str
    api: httpx.AsyncClient


@pytest.fixture
async def console(servers: Endpoints, new_database: DatabaseFactory, platform: Platform) -> AsyncIterator[Console]:
    port = free_port()
    settings = OperationsSettings(
        database_url=await new_database(),
        kafka_bootstrap=servers.kafka_bootstrap,
        keycloak_url=servers.keycloak_url,
        otlp_endpoint=servers.otlp_endpoint,
        topic_namespace=platform.namespace,
        outbox_poll_seconds=0.05,
        public_url=f"http://127.0.0.1:{port}",
        trace_ui_url=f"{servers.zipkin_url}/zipkin",
        metrics_url=servers.metrics_url,
        console_client_secret=servers.client_secret("spean-console"),
        session_key=base64.b64encode(os.urandom(32)).decode(),
        # Keycloak asked again at nearly every request: the figures come through it, and an operator
        # signed out at Keycloak is refused within the second.
        session_recheck_seconds=1,
    )
    async with served(build(settings), port) as url, httpx.AsyncClient(base_url=url) as api:
        yield Console(url, api)


async def screened_case(platform: Platform, machine_token: Callable[[str], str]) -> str:
    headers = {"Authorization": f"Bearer {machine_token('poipet-tc-system')}"}
    answer = await platform.identification.post("/screenings", json=SCREENING, headers=headers)
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["case_id"]
    return case_id


async def dead_letter_of(platform: Platform, servers: Endpoints, case_id: str, reason: str) -> int:
    """Dead-letters the case's first event as the referral consumer would have; returns its offset."""
    topic = platform.namespace + IDENTIFICATION.name

    async def published() -> bool:
        return any(r.key.decode() == case_id for r in await read_topic(servers.kafka_bootstrap, topic))

    await eventually(published, what="the screening's event on Kafka")
    record = next(r for r in await read_topic(servers.kafka_bootstrap, topic) if r.key.decode() == case_id)
    letters = DeadLetters(servers.kafka_bootstrap)
    await letters.send(record, reason=reason, consumer="spean-referral", attempts=5)
    await letters.close()
    dlq = await read_topic(servers.kafka_bootstrap, topic + ".dlq")
    offset: int = max(r.offset for r in dlq)
    return offset


async def test_the_api_answers_operators_only_and_shows_traces_breaches_and_flow(
    console: Console, platform: Platform, servers: Endpoints, machine_token: Callable[[str], str]
) -> None:
    operator = {"Authorization": f"Bearer {machine_token('operations-console')}"}
    screener = {"Authorization": f"Bearer {machine_token('poipet-tc-system')}"}
    assert (await console.api.get("/api/overview")).status_code == 401
    refused = await console.api.get("/api/overview", headers=screener)
    # A frontline system's token is not meant for the console at all.
    assert (refused.status_code, refused.json()["detail"]) == (401, "the token is not meant for spean-operations")
    assert refused.headers["content-type"].startswith("application/problem+json")
    page = await console.api.get("/")
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    # What the ingress asks before it lets anyone through to the trace store.
    checks = [await console.api.get("/auth/check", headers=h) for h in ({}, screener, operator)]
    assert [c.status_code for c in checks] == [401, 401, 204]

    case_id = await screened_case(platform, machine_token)

    async def traced() -> bool:
        return (await console.api.get(f"/api/cases/{case_id}/traces", headers=operator)).status_code == 200

    await eventually(traced, what="the console seeing the case's events")
    events = (await console.api.get(f"/api/cases/{case_id}/traces", headers=operator)).json()["events"]
    assert "identification.screening-recorded" in {e["type"] for e in events}
    assert all(e["trace_url"].endswith(f"/zipkin/traces/{e['trace_id']}") for e in events)

    late = IdentificationDeadlineBreached.model_validate(
        {**spec_for_model(IdentificationDeadlineBreached).examples[0], "case_id": case_id, "stage": "determination"}
    )
    # Staged three minutes ago and published only now, as after a relay's outage: the flow counts it
    # in the minute it happened.
    late_at = datetime.now(UTC) - timedelta(minutes=3)
    await publish(servers.kafka_bootstrap, platform.namespace, late, time=late_at)

    async def breach_shown() -> bool:
        overview = (await console.api.get("/api/overview", headers=operator)).json()
        return bool(overview["deadline_breaches"]["total"])

    await eventually(breach_shown, what="the deadline breach on the console")
    overview = (await console.api.get("/api/overview", headers=operator)).json()
    assert overview["deadline_breaches"]["total"] == 1
    (breach,) = overview["deadline_breaches"]["latest"]
    assert (breach["case_id"], breach["type"], breach["late"]) == (
        case_id,
        "identification.deadline-breached",
        "determination",
    )
    flow = overview["flow"]
    since = datetime.fromisoformat(flow["since"])
    expected = [0] * flow["minutes"]
    screened_at = datetime.fromisoformat(next(e["at"] for e in events if e["type"].endswith("screening-recorded")))
    for moment in (screened_at, late_at):
        expected[int((moment.replace(second=0, microsecond=0) - since) / timedelta(minutes=1))] += 1
    assert flow["topics"]["spean.identification.v1"] == expected
    assert any(lag["group"] == "spean-referral" for lag in overview["consumer_lag"])
    assert isinstance(overview["certificates"], list), "the collector's metrics were read"

    async def trails_shown() -> bool:
        overview = (await console.api.get("/api/overview", headers=operator)).json()
        return {"service": "identification", "trail": "access_audit", "intact": True} in overview["audit_trails"]

    await eventually(trails_shown, what="identification's audit trail on the console, verified")

    bad = await console.api.post("/api/dead-letters/replay", json={"dlq": "elsewhere", "offset": -1}, headers=operator)
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"body.dlq", "body.offset"}
    unknown = await console.api.post(
        "/api/dead-letters/replay", json={"dlq": "nowhere.v1.dlq", "offset": 0}, headers=operator
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["path"]) == (422, "body.dlq")


def _subject(sealed_session: str) -> str:
    """The operator's Keycloak id, from the console's session cookie (sealed, not encrypted)."""
    body = sealed_session.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["sub"])


def _keycloak_admin(servers: Endpoints) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=servers.keycloak_url,
        username=servers.keycloak_admin_user,
        password=servers.keycloak_admin_password,
        realm_name="spean",
        user_realm_name="master",
    )


async def sign_in(page: Page, console_url: str, username: str, password: str) -> None:
    """The operator's way in: the console sends the browser to Keycloak, where they choose their
    agency (MoSVY) and sign in with their agency account; a first sign-in may ask to review the profile."""
    await page.goto(console_url)
    await page.get_by_role("link", name="Ministry of Social Affairs").click()
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password)
    await page.locator("#kc-login").click()
    for _ in range(3):
        if page.url.startswith(console_url):
            return
        await page.locator("input[type=submit], button[type=submit]").first.click()
    await page.wait_for_url(f"{console_url}/")


async def sign_out(page: Page) -> None:
    """Signing out ends the sign-on at Keycloak and at the agency too: on a shared workstation the
    next person who opens the console must type a password, not land in the last operator's session."""
    await page.get_by_role("button", name="Sign out").click()
    await page.locator("#kc-logout").click()
    await page.get_by_role("link", name="Ministry of Social Affairs").click()
    await expect(page.locator("#password")).to_be_visible()


async def test_an_operator_signs_in_sees_live_figures_replays_a_dead_letter_and_signs_out(
    console: Console, platform: Platform, servers: Endpoints, machine_token: Callable[[str], str]
) -> None:
    case_id = await screened_case(platform, machine_token)
    reason = f"RuntimeError: provider directory unavailable ({uuid.uuid4().hex[:6]})"
    offset = await dead_letter_of(platform, servers, case_id, reason)
    dlq = platform.namespace + IDENTIFICATION.dead_letter
    topic = platform.namespace + IDENTIFICATION.name
    before = len(await read_topic(servers.kafka_bootstrap, topic))

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1100})
            await sign_in(page, console.url, "sophal", servers.keycloak_user_passwords["agency-mosvy/sophal"])

            await expect(page.get_by_role("heading", name="Events per minute, by topic")).to_be_visible()
            await expect(page.locator("#updated")).to_contain_text("updated", timeout=15_000)
            await expect(page.locator("#operator")).to_contain_text("MOSVY")
            legend = page.locator('#flow-legend li[data-topic="spean.identification.v1"]')
            await expect(legend).to_have_text("spean.identification.v1: 1", timeout=15_000)
            await expect(page.locator("#lag-bars .bar-row").first).to_be_visible()
            await expect(page.locator("#backlog-bars .bar-row").first).to_be_visible()
            await expect(page.get_by_role("heading", name="Cross-border certificates")).to_be_visible()
            await expect(page.get_by_role("heading", name="Audit trails")).to_be_visible()

            row = page.locator(f'#dlq-rows tr[data-dlq="{dlq}"][data-offset="{offset}"]')
            await expect(row).to_contain_text(reason)
            await row.get_by_role("button", name="Open").click()
            await expect(page.locator("#dlq-detail")).to_contain_text(case_id)
            await page.get_by_role("button", name="Replay to its topic").click()
            await expect(page.locator("#replay-outcome")).to_contain_text(f"to {topic}")
            # Kept for people to look at: what the operator saw after the replay.
            await page.screenshot(path=ARTIFACTS / "operations-console.png", full_page=True)
            # A copy of the session cookie, as someone at the workstation could have taken it.
            (copied,) = [c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
            cookie = {"Cookie": f"{SESSION_COOKIE}={copied}"}
            before_sign_out = [await console.api.get(path, headers=cookie) for path in ("/api/overview", "/auth/check")]
            await sign_out(page)
            after_sign_out = [await console.api.get(path, headers=cookie) for path in ("/api/overview", "/auth/check")]

            # Signed in again, then signed out by Keycloak's administrator (a disabled or departed operator).
            await sign_in(page, console.url, "sophal", servers.keycloak_user_passwords["agency-mosvy/sophal"])
            (again,) = [c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
            cookie = {"Cookie": f"{SESSION_COOKIE}={again}"}
            before_keycloak = await console.api.get("/auth/check", headers=cookie)
            _keycloak_admin(servers).user_logout(user_id=_subject(again))
            await asyncio.sleep(1.5)  # past the recheck interval
            after_keycloak = await console.api.get("/auth/check", headers=cookie)
        finally:
            await browser.close()

    assert [a.status_code for a in before_sign_out] == [200, 204]
    assert [a.status_code for a in after_sign_out] == [401, 401]
    assert (before_keycloak.status_code, after_keycloak.status_code) == (204, 401)
    after = await read_topic(servers.kafka_bootstrap, topic)
    assert len(after) == before + 1
    replayed = after[-1]
    assert replayed.key.decode() == case_id
    assert not any(name.startswith("dlq_") for name, _ in replayed.headers)
    operator = {"Authorization": f"Bearer {machine_token('operations-console')}"}
    (audit, *_) = (await console.api.get("/api/replays", headers=operator)).json()
    assert (audit["dlq"], audit["offset"], audit["topic"]) == (dlq, offset, topic)
    assert audit["agency"] == "MOSVY"
    assert len(audit["subject"]) > 0
    assert audit["event_id"] == dict(replayed.headers)["ce_id"].decode()
    verified = (await console.api.get("/api/audit/verify", headers=operator)).json()
    assert (verified["entries"], verified["valid"], verified["last_hash"]) == (1, True, audit["hash"])
    shelf = (await console.api.get("/api/dead-letters", headers=operator)).json()
    assert shelf["totals"][dlq] == offset + 1
    (letter,) = [letter for letter in shelf["latest"] if (letter["dlq"], letter["offset"]) == (dlq, offset)]
    assert letter["replayed"]["agency"] == "MOSVY"
