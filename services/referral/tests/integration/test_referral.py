"""case.identified -> referral case -> offer -> acceptance by the NGO -> case.referred; the stages to
closure; need-to-know; the last bed; the consent gate; a person returned home leaves Cambodia's care."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx

from spean_contracts import from_kafka_record, source_of
from spean_contracts.events import (
    AgeAssessed,
    CaseRepatriated,
    ConsentRecorded,
    PlacementDeadlineBreached,
    ReferralDeclined,
    ReferralPersonalDataShared,
    ScreeningCorrected,
)
from spean_contracts.fields import INDOCHINA, local_today
from spean_contracts.registry import REFERRAL
from spean_contracts.vocabulary import (
    AgeBand,
    AgeMethod,
    Agency,
    BorderGate,
    ConsentPurpose,
    CorrectionReason,
    Country,
    Province,
    Sex,
)
from spean_local.endpoints import Endpoints
from spean_referral.app import build
from spean_referral.settings import ReferralSettings
from tests.support.app import broken, eventually, pages, running, scalar, tamper
from tests.support.kafka import publish, published

Auth = Callable[[str], dict[str, str]]
Settings = Callable[..., Awaitable[ReferralSettings]]
Identify = Callable[..., Awaitable[str]]
ProviderBody = Callable[..., dict[str, Any]]
SHELTER = "prov-ngo-shelter-01"
LEGAL = "prov-legal-aid-01"
CLOSURE = {"stage": "closure", "outcome": "reintegrated"}


def _assessment(**changed: Any) -> dict[str, Any]:
    today = local_today().isoformat()
    form = {"form": "assessment", "assessed_on": today, "needs": ["shelter"], "family": "traced-safe"}
    return form | {"risk": "low", "planned_setting": "family"} | changed


def _plan(**changed: Any) -> dict[str, Any]:
    today = local_today().isoformat()
    form = {"form": "reintegration-plan", "reintegrated_on": today, "setting": "family", "province": "KH-12"}
    return form | {"services": ["legal"]} | changed


async def _moved(client: httpx.AsyncClient, referral: str, stage: str, headers: dict[str, str]) -> httpx.Response:
    """The provider files the forms of the stages before `stage` that the case has not passed yet (an
    assessment before integration, a plan too before monitoring, filed in integration), then moves the case
    into it."""

    async def filed(form: dict[str, Any]) -> None:
        answer = await client.post(f"{referral}/forms", json=form, headers=headers)
        assert answer.status_code == 201, answer.text

    current = (await client.get(referral, headers=headers)).json()["stage"]
    if stage in ("integration", "monitoring") and current == "pre-integration":
        await filed(_assessment())
    if stage == "monitoring" and current != "monitoring":
        if current == "pre-integration":
            through = await client.post(f"{referral}/stage", json={"stage": "integration"}, headers=headers)
            assert through.status_code == 200, through.text
        await filed(_plan())
    return await client.post(
        f"{referral}/stage", json=CLOSURE if stage == "closure" else {"stage": stage}, headers=headers
    )


async def _opened(client: httpx.AsyncClient, auth: Auth, case_id: str) -> dict[str, Any]:
    async def opened() -> bool:
        return (await client.get(f"/cases/{case_id}", headers=auth("mosvy-case-system"))).status_code == 200

    await eventually(opened, what="the referral case opened from case.identified")
    answer: dict[str, Any] = (await client.get(f"/cases/{case_id}", headers=auth("mosvy-case-system"))).json()
    return answer


async def _offer(client: httpx.AsyncClient, auth: Auth, case_id: str, provider_id: str, service: str) -> str:
    """MoSVY offers the case to a provider; returns the referral id."""
    answer = await client.post(
        f"/cases/{case_id}/offers",
        json={"provider_id": provider_id, "services": [service]},
        headers=auth("mosvy-case-system"),
    )
    assert answer.status_code == 201, answer.text
    referral_id: str = answer.json()["referral_id"]
    return referral_id


async def _case_for_the_shelter(
    client: httpx.AsyncClient, settings: ReferralSettings, auth: Auth, identify: Identify, provider_body: ProviderBody
) -> str:
    """The shelter in the directory and an identified case opened for referral; returns the case id."""
    await _directory(client, auth, provider_body(SHELTER))
    case_id = await identify(settings)
    await _opened(client, auth, case_id)
    return case_id


def _sheltering(matches: list[dict[str, Any]]) -> list[str]:
    """The providers ranked for the case's need of a shelter."""
    return {m["need"]: [r["provider_id"] for r in m["ranked"]] for m in matches}["shelter"]


async def _directory(client: httpx.AsyncClient, auth: Auth, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        answer = await client.put(f"/providers/{body['provider_id']}", json=body, headers=auth("mosvy-case-system"))
        assert answer.status_code == 200, answer.text


async def test_an_identified_child_is_referred_and_followed_to_closure(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER))
        case_id = await identify(settings)
        case = await _opened(client, auth, case_id)
        assert case["status"] == "Active"
        matches = (await client.get(f"/cases/{case_id}/matches", headers=auth("mosvy-case-system"))).json()
        assert {m["need"]: [r["provider_id"] for r in m["ranked"]] for m in matches}["shelter"] == [SHELTER]

        referral = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
        accepted = await client.post(f"{referral}/accept", headers=auth("ngo-shelter-system"))
        assert accepted.status_code == 200, accepted.text
        for stage in ("integration", "monitoring", "closure"):
            moved = await _moved(client, referral, stage, auth("ngo-shelter-system"))
            assert moved.status_code == 200, moved.text
        late = await client.post(f"{referral}/stage", json={"stage": "monitoring"}, headers=auth("ngo-shelter-system"))
        assert late.status_code == 409
        assert late.json()["current"] == "closed"
        directory = (await client.get("/providers", headers=auth("mosvy-case-system"))).json()
        assert directory[0]["occupancy"] == 0

        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]

    mine = [e.type.removeprefix("kh.spean.") for e in events if e.subject == case_id]
    assert mine == [
        "referral.case-opened.v1",
        "referral.offered.v1",
        "referral.accepted.v1",
        "case.referred.v1",
        *["referral.reintegration-stage-changed.v1"] * 2,
        "referral.reintegration-stage-changed.v1",
        "referral.closed.v1",
        "case.closed.v1",
    ]
    statuses = [
        e.data.model_dump()["status"] for e in events if e.type.endswith("stage-changed.v1") and e.subject == case_id
    ]
    assert [str(s) for s in statuses] == ["Active", "FollowUp", "Closed"]


async def test_each_reintegration_stage_is_entered_with_its_forms_and_care_closes_with_its_outcome(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    shelter, mosvy, legal = auth("ngo-shelter-system"), auth("mosvy-case-system"), auth("ngo-legal-system")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    visit = {"form": "monitoring-visit", "visited_on": local_today().isoformat(), "mode": "home-visit"}
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        referral = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
        assert (await client.post(f"{referral}/accept", headers=shelter)).status_code == 200

        async def file(form: dict[str, Any]) -> httpx.Response:
            return await client.post(f"{referral}/forms", json=form, headers=shelter)

        async def move(body: dict[str, Any]) -> httpx.Response:
            return await client.post(f"{referral}/stage", json=body, headers=shelter)

        refused = {
            "integration before its assessment": await move({"stage": "integration"}),
            "a plan in pre-integration": await file(_plan()),
            "home to an unsafe family": await file(_assessment(family="traced-unsafe")),
            "assessed tomorrow": await file(_assessment(assessed_on=tomorrow)),
        }
        assert (await file(_assessment(family="traced-unsafe", planned_setting="relatives"))).status_code == 201
        assert (await move({"stage": "integration"})).status_code == 200
        refused["a plan home to the unsafe family"] = await file(_plan())
        refused["monitoring before its plan"] = await move({"stage": "monitoring"})
        assert (await file(_plan(setting="relatives"))).status_code == 201
        assert (await move({"stage": "monitoring"})).status_code == 200
        at_risk = visit | {"situation": "at-risk", "concerns": ["debt", "re-recruitment"]}
        seen, seen_again = await file(at_risk), await file(at_risk)
        worrying = {"situation": ["at-risk", "re-trafficked"]}
        found_at_risk = (await client.get("/referrals", params=worrying, headers=mosvy)).json()
        found_stable = (await client.get("/referrals", params={"situation": "stable"}, headers=mosvy)).json()
        refused["closure without its outcome"] = await move({"stage": "closure"})
        refused["an outcome before closure"] = await move({"stage": "monitoring", "outcome": "reintegrated"})
        closed = await move({"stage": "closure", "outcome": "re-trafficked"})
        refused["a visit after closure"] = await file(visit | {"situation": "not-found"})
        kept = (await client.get(f"{referral}/forms", headers=mosvy)).json()
        others = await client.get(f"{referral}/forms", headers=legal)
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]

    def broken(answer: httpx.Response) -> tuple[int, Any]:
        problem = answer.json()
        return answer.status_code, problem.get("missing_forms") or problem.get("stage") or [
            (error["path"], error["rule"]) for error in problem.get("errors", [])
        ] or problem.get("current")

    assert {what: broken(answer) for what, answer in refused.items()} == {
        "integration before its assessment": (409, ["assessment"]),
        "a plan in pre-integration": (409, "pre-integration"),
        "home to an unsafe family": (422, [("body.planned_setting", "family_unsafe")]),
        "assessed tomorrow": (422, [("body.assessed_on", "not_in_future")]),
        "a plan home to the unsafe family": (422, [("body.setting", "family_unsafe")]),
        "monitoring before its plan": (409, ["reintegration-plan"]),
        "closure without its outcome": (422, [("body.outcome", "outcome_at_closure")]),
        "an outcome before closure": (422, [("body.outcome", "outcome_at_closure")]),
        "a visit after closure": (409, "closed"),
    }
    assert seen.json()["content"]["concerns"] == ["debt", "re-recruitment"]
    assert (seen_again.status_code, seen_again.json()) == (200, seen.json()), "a retry is recorded once"
    assert [(r["referral_id"], r["situation"]) for r in found_at_risk] == [(referral.split("/")[-1], "at-risk")]
    assert referral.split("/")[-1] not in [r["referral_id"] for r in found_stable]
    assert (closed.status_code, closed.json()["outcome"]) == (200, "re-trafficked")
    assert [form["content"]["form"] for form in kept] == ["assessment", "reintegration-plan", "monitoring-visit"]
    assert others.status_code == 404
    ended = [e.data for e in events if e.subject == case_id and e.type == "kh.spean.referral.closed.v1"]
    assert [(str(data.model_dump()["outcome"])) for data in ended] == ["re-trafficked"]


async def _services_consent(servers: Endpoints, settings: ReferralSettings, case_id: str, *, given: bool) -> None:
    """The person's consent to services as identification records it, once referral has taken it in."""
    recorded = ConsentRecorded(
        case_id=case_id,
        purpose=ConsentPurpose.SERVICES,
        given=given,
        agency=Agency.MOSVY,
        recorded_at=datetime.now(UTC),
    )
    await publish(servers.kafka_bootstrap, settings.topic_namespace, recorded)

    async def seen() -> bool:
        query = "SELECT given FROM consent_state WHERE case_id = :case_id AND purpose = 'services'"
        return await scalar(settings, query, case_id=case_id) is given

    await eventually(seen, what="the consent as identification recorded it")


async def _published_of(settings: ReferralSettings, case_id: str) -> list[str]:
    """The types of the case's referral events on the topic, in order."""
    events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]
    return [e.type.removeprefix("kh.spean.") for e in events if e.subject == case_id]


async def test_an_offer_left_unanswered_past_its_deadline_expires_and_is_escalated_once(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings(offer_response_hours=1 / 3600, deadline_scan_seconds=0.2)
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        referral = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"

        async def expired() -> bool:
            answer = await client.get(referral, headers=auth("mosvy-case-system"))
            return bool(answer.json()["state"] == "expired")

        await eventually(expired, what="the unanswered offer expired")
        late = await client.post(f"{referral}/accept", headers=auth("ngo-shelter-system"))
        await asyncio.sleep(1)  # five more scans, which must find nothing more to escalate

        breaches = [t for t in await _published_of(settings, case_id) if "deadline-breached" in t]

    assert (late.status_code, late.json()["current"]) == (409, "expired")
    assert breaches == ["referral.deadline-breached.v1"]


async def _followed_up(
    client: httpx.AsyncClient, settings: ReferralSettings, auth: Auth, identify: Identify, provider_body: ProviderBody
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """A case the shelter took in and moved to integration, then monitoring: its id, its referral's path,
    and the referral as each move answered it."""
    shelter = auth("ngo-shelter-system")
    case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
    referral = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
    assert (await client.post(f"{referral}/accept", headers=shelter)).status_code == 200
    integration = (await _moved(client, referral, "integration", shelter)).json()
    monitoring = (await _moved(client, referral, "monitoring", shelter)).json()
    return case_id, referral, integration, monitoring


async def test_a_case_followed_up_past_its_length_is_told_to_mosvy_once_and_closure_ends_it(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings(follow_up_days=1 / 86400, deadline_scan_seconds=0.2)
    shelter = auth("ngo-shelter-system")
    async with running(build(settings)) as client:
        case_id, referral, integration, monitoring = await _followed_up(client, settings, auth, identify, provider_body)

        async def told() -> bool:
            return "referral.follow-up-deadline-breached.v1" in await _published_of(settings, case_id)

        await eventually(told, what="the follow-up run past its length told")
        await asyncio.sleep(1)  # five more scans, which must not tell it again
        closed = (await client.post(f"{referral}/stage", json=CLOSURE, headers=shelter)).json()
        breaches = [t for t in await _published_of(settings, case_id) if "deadline-breached" in t]

    assert integration["follow_up_until"] is None
    assert datetime.fromisoformat(monitoring["follow_up_until"]) <= datetime.now(UTC)
    assert closed["follow_up_until"] is None
    assert breaches == ["referral.follow-up-deadline-breached.v1"]


async def test_a_case_followed_up_without_a_visit_is_told_to_mosvy_once_and_a_visit_sets_the_next_due(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings(visit_interval_days=1 / 86400, deadline_scan_seconds=0.2)
    shelter = auth("ngo-shelter-system")
    today = local_today()
    async with running(build(settings)) as client:
        case_id, referral, integration, monitoring = await _followed_up(client, settings, auth, identify, provider_body)

        async def told() -> bool:
            return "referral.visit-deadline-breached.v1" in await _published_of(settings, case_id)

        async def to_visit(before: datetime) -> list[str]:
            """The provider's cases to visit before `before`."""
            listed = await client.get("/referrals", params={"visit_due_before": before.isoformat()}, headers=shelter)
            return [f"/referrals/{r['referral_id']}" for r in listed.json()]

        await eventually(told, what="the visit not made in time told")
        await asyncio.sleep(1)  # five more scans, which must not tell it again
        unvisited = await to_visit(datetime.now(UTC))
        visit = {"form": "monitoring-visit", "visited_on": today.isoformat(), "mode": "phone", "situation": "stable"}
        assert (await client.post(f"{referral}/forms", json=visit, headers=shelter)).status_code == 201
        visited = (await client.get(referral, headers=shelter)).json()
        visited_now = await to_visit(datetime.now(UTC))
        await asyncio.sleep(1)
        breaches = [t for t in await _published_of(settings, case_id) if "deadline-breached" in t]
        await _directory(client, auth, provider_body(LEGAL, services=["legal"]))
        moved = await client.post(
            f"{referral}/transfer",
            json={"provider_id": LEGAL, "services": ["legal"]},
            headers=auth("mosvy-case-system"),
        )
        taken_up = f"/referrals/{moved.json()['referral_id']}/accept"
        assert (await client.post(taken_up, headers=auth("ngo-legal-system"))).status_code == 200
        handed_on = (await client.get(referral, headers=shelter)).json()

    assert integration["visit_due"] is None
    assert datetime.fromisoformat(monitoring["visit_due"]) <= datetime.now(UTC)
    next_day = datetime.combine(today + timedelta(days=1), time(), INDOCHINA)
    assert datetime.fromisoformat(visited["visit_due"]) == next_day + timedelta(seconds=1)
    assert (unvisited, visited_now) == ([referral], [])
    assert (handed_on["state"], handed_on["visit_due"]) == ("closed-referred", None), "no longer the shelter's to visit"
    assert breaches == ["referral.visit-deadline-breached.v1"]


async def test_a_provider_taking_a_case_over_carries_its_reintegration_on_with_the_forms_filed_before(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    """A shelter assessed the person, reintegrated them and followed them up; MoSVY hands the follow-up to
    a legal-aid NGO near the family. The NGO goes on at monitoring, reading what the shelter filed, instead
    of assessing the person once more."""
    settings = await referral_settings()
    shelter, legal, mosvy = auth("ngo-shelter-system"), auth("ngo-legal-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(LEGAL, services=["legal"]))
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        sheltered = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
        assert (await client.post(f"{sheltered}/accept", headers=shelter)).status_code == 200
        followed = (await _moved(client, sheltered, "monitoring", shelter)).json()
        moved = await client.post(
            f"{sheltered}/transfer", json={"provider_id": LEGAL, "services": ["legal"]}, headers=mosvy
        )
        taken_over = f"/referrals/{moved.json()['referral_id']}"
        carried = (await client.post(f"{taken_over}/accept", headers=legal)).json()
        read = (await client.get(f"{taken_over}/forms", headers=legal)).json()
        visit = {"form": "monitoring-visit", "visited_on": local_today().isoformat(), "mode": "home-visit"}
        visited = await client.post(f"{taken_over}/forms", json=visit | {"situation": "stable"}, headers=legal)
        status = (await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"]
        stages = [
            e.data.model_dump()
            for e in [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]
            if e.subject == case_id and e.type.endswith("stage-changed.v1")
        ]

    assert (carried["stage"], carried["status"]) == ("monitoring", "FollowUp")
    assert (carried["follow_up_until"], carried["visit_due"]) == (followed["follow_up_until"], followed["visit_due"])
    shelter_s = sheltered.removeprefix("/referrals/")
    assert [(f["referral_id"], f["content"]["form"]) for f in read] == [
        (shelter_s, "assessment"),
        (shelter_s, "reintegration-plan"),
    ]
    assert visited.status_code == 201, visited.text
    assert status == "FollowUp"
    assert [(str(s["stage"]), s["referral_id"]) for s in stages][-1] == ("monitoring", carried["referral_id"])


async def test_a_person_nobody_has_taken_in_by_the_placement_deadline_is_told_to_mosvy_once(
    servers: Endpoints, referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings(placement_days=1, deadline_scan_seconds=0.2)
    mosvy, shelter = auth("mosvy-case-system"), auth("ngo-shelter-system")
    async with running(build(settings)) as client:
        waiting = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        turned_away, placed, declining, agreeing_again = [await identify(settings) for _ in range(4)]
        for case_id in (turned_away, placed, declining, agreeing_again):
            await _opened(client, auth, case_id)
        refused = f"/referrals/{await _offer(client, auth, turned_away, SHELTER, 'shelter')}"
        assert (await client.post(f"{refused}/decline", json={"reason": "no-capacity"}, headers=shelter)).is_success
        taken_in = f"/referrals/{await _offer(client, auth, placed, SHELTER, 'shelter')}"
        assert (await client.post(f"{taken_in}/accept", headers=shelter)).is_success
        await _services_consent(servers, settings, declining, given=False)
        await _services_consent(servers, settings, agreeing_again, given=False)
        await _services_consent(servers, settings, agreeing_again, given=True)
        on_time = (await client.get(f"/cases/{waiting}", headers=mosvy)).json()
        await tamper(settings, "UPDATE referral_case SET opened_at = opened_at - interval '2 days'")

        async def told() -> bool:
            seen = [await _published_of(settings, c) for c in (waiting, turned_away)]
            return all("referral.placement-deadline-breached.v1" in types for types in seen)

        await eventually(told, what="the two persons nobody took in told late")
        await asyncio.sleep(1)  # five more scans, which must not tell them again
        late = (await client.get(f"/cases/{waiting}", headers=mosvy)).json()
        again = (await client.get(f"/cases/{agreeing_again}", headers=mosvy)).json()
        listed_late = (await client.get("/cases", params={"late": "true"}, headers=mosvy)).json()
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]

    breaches = {
        c: [e.data for e in events if e.subject == c and isinstance(e.data, PlacementDeadlineBreached)]
        for c in (waiting, turned_away, placed, declining, agreeing_again)
    }
    assert [len(told) for told in breaches.values()] == [1, 1, 0, 0, 0]
    assert {case["case_id"] for case in listed_late} == {waiting, turned_away}
    opened = datetime.fromisoformat(on_time["opened_at"])
    assert datetime.fromisoformat(on_time["place_by"]) == opened + timedelta(days=1)
    assert datetime.fromisoformat(late["place_by"]) == opened - timedelta(days=1) == breaches[waiting][0].due_at
    assert breaches[waiting][0].referral_case_id == on_time["referral_case_id"]
    assert datetime.fromisoformat(again["place_by"]) > datetime.now(UTC) + timedelta(hours=23), "a day from agreeing"


async def test_a_provider_proposes_to_take_a_person_in_and_mosvy_sanctions_or_declines_it(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    mosvy, shelter, legal = auth("mosvy-case-system"), auth("ngo-shelter-system"), auth("ngo-legal-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL, services=["legal"]))
        sheltered, defended = [await identify(settings) for _ in range(2)]
        for case_id in (sheltered, defended):
            await _opened(client, auth, case_id)
        bed = {"services": ["shelter"]}
        proposed = await client.post(f"/cases/{sheltered}/proposals", json=bed, headers=shelter)
        again = await client.post(f"/cases/{sheltered}/proposals", json=bed, headers=shelter)
        not_given = await client.post(f"/cases/{sheltered}/proposals", json=bed, headers=legal)
        counsel = await client.post(f"/cases/{defended}/proposals", json={"services": ["legal"]}, headers=legal)
        queue = (await client.get("/proposals", params={"state": "proposed"}, headers=mosvy)).json()
        legal_sees = (await client.get("/proposals", headers=legal)).json()
        sanctioned = await client.post(f"/proposals/{proposed.json()['proposal_id']}/sanction", json={}, headers=mosvy)
        accepted = await client.post(f"/referrals/{sanctioned.json()['referral_id']}/accept", headers=shelter)
        counsel_path = f"/proposals/{counsel.json()['proposal_id']}"
        declined = await client.post(f"{counsel_path}/decline", json={"reason": "placed-elsewhere"}, headers=mosvy)
        late = await client.post(f"{counsel_path}/sanction", json={}, headers=mosvy)

    assert (proposed.status_code, proposed.json()["state"]) == (201, "proposed"), proposed.text
    assert (again.status_code, again.json()["proposal_id"]) == (409, proposed.json()["proposal_id"])
    assert broken(not_given) == [("body.services", "offered")], "the legal-aid provider has no bed"
    assert {p["proposal_id"] for p in queue} == {proposed.json()["proposal_id"], counsel.json()["proposal_id"]}
    assert [p["proposal_id"] for p in legal_sees] == [counsel.json()["proposal_id"]], "its own alone"
    assert sanctioned.json()["state"] == "sanctioned", sanctioned.text
    assert (accepted.status_code, accepted.json()["state"]) == (200, "in-care")
    assert (declined.json()["state"], declined.json()["decline_reason"]) == ("declined", "placed-elsewhere")
    assert (late.status_code, late.json()["current"]) == (409, "declined")


async def _in_care_of_both(
    client: httpx.AsyncClient, settings: ReferralSettings, auth: Auth, identify: Identify, provider_body: ProviderBody
) -> tuple[str, str, str]:
    """An identified case taken in by the shelter and by the legal-aid provider: the case id and the two
    referrals' paths."""
    await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL, services=["legal"]))
    case_id = await identify(settings)
    await _opened(client, auth, case_id)
    sheltered = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
    defended = f"/referrals/{await _offer(client, auth, case_id, LEGAL, 'legal')}"
    assert (await client.post(f"{sheltered}/accept", headers=auth("ngo-shelter-system"))).status_code == 200
    assert (await client.post(f"{defended}/accept", headers=auth("ngo-legal-system"))).status_code == 200
    return case_id, sheltered, defended


async def test_a_case_closes_when_the_last_provider_caring_for_the_person_closes_not_the_first(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    shelter, legal, mosvy = auth("ngo-shelter-system"), auth("ngo-legal-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        case_id, sheltered, defended = await _in_care_of_both(client, settings, auth, identify, provider_body)
        closed = await client.post(f"{sheltered}/stage", json=CLOSURE, headers=shelter)
        after_the_shelter = (await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"]
        events_then = await _published_of(settings, case_id)
        still_advised = await _moved(client, defended, "integration", legal)
        assert (await client.post(f"{defended}/stage", json=CLOSURE, headers=legal)).status_code == 200
        after_both = (await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"]
        events = await _published_of(settings, case_id)

    assert (closed.status_code, closed.json()["state"], after_the_shelter) == (200, "closed", "Active")
    assert "case.closed.v1" not in events_then
    assert still_advised.status_code == 200
    assert after_both == "Closed"
    assert events.count("referral.closed.v1") == 2
    assert (events[-1], events.count("case.closed.v1")) == ("case.closed.v1", 1)


async def test_a_transfer_is_taken_up_though_the_placement_it_replaces_closed_meanwhile(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    shelter, legal, mosvy = auth("ngo-shelter-system"), auth("ngo-legal-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL, services=["legal"]))
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        sheltered = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
        assert (await client.post(f"{sheltered}/accept", headers=shelter)).status_code == 200
        moved = await client.post(
            f"{sheltered}/transfer", json={"provider_id": LEGAL, "services": ["legal"]}, headers=mosvy
        )
        assert moved.status_code == 201, moved.text
        assert (await client.post(f"{sheltered}/stage", json=CLOSURE, headers=shelter)).status_code == 200
        taken_up = await client.post(f"/referrals/{moved.json()['referral_id']}/accept", headers=legal)
        shelter_s = (await client.get(sheltered, headers=mosvy)).json()["state"]
        case = (await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"]

    assert (taken_up.status_code, taken_up.json()["state"]) == (200, "in-care")
    assert (shelter_s, case) == ("closed", "Active")


async def test_two_providers_closing_a_case_s_referrals_at_once_close_the_case_once(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    shelter, legal, mosvy = auth("ngo-shelter-system"), auth("ngo-legal-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        pairs: dict[str, tuple[str, str]] = {}
        for _ in range(4):
            case_id, sheltered, defended = await _in_care_of_both(client, settings, auth, identify, provider_body)
            pairs[case_id] = (sheltered, defended)
        answers = await asyncio.gather(
            *(
                client.post(f"{referral}/stage", json=CLOSURE, headers=provider)
                for sheltered, defended in pairs.values()
                for referral, provider in ((sheltered, shelter), (defended, legal))
            )
        )
        statuses = {(await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"] for case_id in pairs}
        closings = [(await _published_of(settings, case_id)).count("case.closed.v1") for case_id in pairs]

    assert {answer.status_code for answer in answers} == {200}
    assert (statuses, closings) == ({"Closed"}, [1] * 4)


async def test_a_case_is_followed_up_while_every_provider_caring_for_the_person_is_monitoring(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    shelter, legal, mosvy = auth("ngo-shelter-system"), auth("ngo-legal-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        case_id, sheltered, defended = await _in_care_of_both(client, settings, auth, identify, provider_body)

        async def status(referral: str, stage: str, provider: dict[str, str]) -> str:
            moved = await _moved(client, referral, stage, provider)
            assert moved.status_code == 200, moved.text
            return str((await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"])

        statuses = [
            await status(sheltered, "monitoring", shelter),
            await status(defended, "monitoring", legal),
        ]
        followed = (await client.get("/cases", params={"status": "FollowUp"}, headers=mosvy)).json()
        statuses.append(await status(defended, "integration", legal))

    assert statuses == ["Active", "FollowUp", "Active"]
    assert [c["case_id"] for c in followed] == [case_id]


async def test_a_case_whose_care_ended_while_an_offer_waited_closes_when_the_offer_expires(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings(deadline_scan_seconds=0.2)
    shelter, mosvy = auth("ngo-shelter-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL, services=["legal"]))
        case_id = await identify(settings)
        await _opened(client, auth, case_id)
        sheltered = f"/referrals/{await _offer(client, auth, case_id, SHELTER, 'shelter')}"
        assert (await client.post(f"{sheltered}/accept", headers=shelter)).status_code == 200
        unanswered = await _offer(client, auth, case_id, LEGAL, "legal")
        assert (await client.post(f"{sheltered}/stage", json=CLOSURE, headers=shelter)).status_code == 200
        while_offered = (await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"]
        # The provider lets its 48 hours pass.
        await tamper(
            settings,
            "UPDATE referral SET respond_by = now() - interval '1 minute' WHERE referral_id = :r",
            r=unanswered,
        )

        async def closed() -> bool:
            return bool((await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"] == "Closed")

        await eventually(closed, what="the case closed with its last offer")
        events = await _published_of(settings, case_id)

    assert while_offered == "Active"
    assert events[-2:] == ["referral.deadline-breached.v1", "case.closed.v1"]


async def test_a_person_found_a_child_by_an_age_assessment_is_matched_to_a_childrens_shelter(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody, servers: Endpoints
) -> None:
    settings = await referral_settings()
    mosvy, identification = auth("mosvy-case-system"), source_of("identification", "MOSVY")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER))
        case_id = await identify(settings, age_band="18-24", is_child=False)
        await _opened(client, auth, case_id)
        as_an_adult = (await client.get(f"/cases/{case_id}/matches", headers=mosvy)).json()
        found_a_child = AgeAssessed(
            case_id=case_id,
            age_band=AgeBand.TEEN,
            is_child=True,
            methods=[AgeMethod.FAMILY_CONFIRMED],
            agency=Agency.MOSVY,
            assessed_at=datetime.now(UTC),
        )
        await publish(servers.kafka_bootstrap, settings.topic_namespace, found_a_child, source=identification)

        async def a_child() -> bool:
            return bool((await client.get(f"/cases/{case_id}", headers=mosvy)).json()["is_child"])

        await eventually(a_child, what="the case's age as assessed")
        as_a_child = (await client.get(f"/cases/{case_id}/matches", headers=mosvy)).json()

    assert (_sheltering(as_an_adult), _sheltering(as_a_child)) == ([], [SHELTER])


async def test_a_case_whose_screening_was_corrected_is_matched_by_the_corrected_profile(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody, servers: Endpoints
) -> None:
    settings = await referral_settings()
    mosvy = auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER))
        case_id = await identify(settings)
        await _opened(client, auth, case_id)
        as_recorded = (await client.get(f"/cases/{case_id}/matches", headers=mosvy)).json()
        a_boy = ScreeningCorrected(
            case_id=case_id,
            screening_id=f"scr-{case_id.removeprefix('case-')}",
            province=Province("KH-12"),
            sex=Sex("male"),
            age_band=AgeBand.TEEN,
            nationality=Country.CAMBODIA,
            is_child=True,
            match_keys=[],
            reason=CorrectionReason.RECORDING_ERROR,
            agency=Agency.NGO,
            corrected_at=datetime.now(UTC),
        )
        await publish(
            servers.kafka_bootstrap, settings.topic_namespace, a_boy, source=source_of("identification", "NGO")
        )

        async def matches() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (await client.get(f"/cases/{case_id}/matches", headers=mosvy)).json()
            return found

        async def corrected() -> bool:
            return not _sheltering(await matches())

        await eventually(corrected, what="the case matched by its profile as corrected")
        excluded = {m["need"]: m["excluded"] for m in await matches()}["shelter"]

    assert _sheltering(as_recorded) == [SHELTER]
    # The demo shelter takes girls only.
    assert excluded[SHELTER] == "does not take male clients"


async def test_an_adult_man_with_no_shelter_produces_a_service_gap(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        await _directory(
            client,
            auth,
            provider_body(SHELTER),
            provider_body(LEGAL, services=["legal"], sexes=["female", "male"], age_max=99, capacity=0),
        )
        case_id = await identify(
            settings, sex="male", age_band="25-34", is_child=False, exploitation_types=["forced-labour"]
        )
        await _opened(client, auth, case_id)

        async def gaps() -> set[str]:
            events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]
            return {
                e.data.model_dump(mode="json")["need"] for e in events if e.type.endswith("service-gap-recorded.v1")
            }

        async def recorded() -> bool:
            return bool(await gaps())

        await eventually(recorded, what="service-gap events")
        assert await gaps() == {"shelter", "medical", "psychosocial", "reintegration-follow-up"}


async def test_a_provider_sees_only_referrals_addressed_to_it(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL, services=["legal"]))
        case_id = await identify(settings)
        await _opened(client, auth, case_id)
        to_shelter = await _offer(client, auth, case_id, SHELTER, "shelter")
        to_legal = await _offer(client, auth, case_id, LEGAL, "legal")
        legal = auth("ngo-legal-system")
        listed = (await client.get("/referrals", headers=legal)).json()
        attempts = {
            "read": await client.get(f"/referrals/{to_shelter}", headers=legal),
            "accept": await client.post(f"/referrals/{to_shelter}/accept", headers=legal),
            "decline": await client.post(f"/referrals/{to_shelter}/decline", json={"reason": "other"}, headers=legal),
            "stage": await client.post(f"/referrals/{to_shelter}/stage", json={"stage": "integration"}, headers=legal),
            "matches": await client.get(f"/cases/{case_id}/matches", headers=legal),
            "offer": await client.post(
                f"/cases/{case_id}/offers", json={"provider_id": LEGAL, "services": ["legal"]}, headers=legal
            ),
        }
    assert [r["referral_id"] for r in listed] == [to_legal]
    assert {name: answer.status_code for name, answer in attempts.items()} == {
        "read": 404,
        "accept": 404,
        "decline": 404,
        "stage": 404,
        "matches": 403,
        "offer": 403,
    }


async def test_two_acceptances_of_the_last_bed_at_once_one_succeeds(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER, capacity=1))
        offers = []
        for _ in range(2):
            case_id = await identify(settings)
            await _opened(client, auth, case_id)
            offers.append(await _offer(client, auth, case_id, SHELTER, "shelter"))
        shelter = auth("ngo-shelter-system")
        answers = await asyncio.gather(*(client.post(f"/referrals/{o}/accept", headers=shelter) for o in offers))
        occupancy = (await client.get("/providers", headers=shelter)).json()[0]["occupancy"]
        # The bed taken cannot be given up under its sleeper, by the shelter nor by the directory.
        no_beds = [
            await client.put(f"/providers/{SHELTER}/capacity", json={"capacity": 0}, headers=shelter),
            await client.put(
                f"/providers/{SHELTER}", json=provider_body(SHELTER, capacity=0), headers=auth("mosvy-case-system")
            ),
        ]
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert next(a for a in answers if a.status_code == 409).json()["type"].endswith("no-capacity")
    assert occupancy == 1
    assert [(a.status_code, a.json()["occupancy"], broken(a)) for a in no_beds] == [
        (409, 1, [("body.capacity", "capacity_below_occupancy")])
    ] * 2


async def test_a_late_accept_after_a_decline_answers_409_with_the_current_state(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        referral_id = await _offer(client, auth, case_id, SHELTER, "shelter")
        declined = await client.post(
            f"/referrals/{referral_id}/decline", json={"reason": "no-capacity"}, headers=auth("ngo-shelter-system")
        )
        late = await client.post(f"/referrals/{referral_id}/accept", headers=auth("ngo-shelter-system"))
    assert declined.json()["state"] == "declined"
    assert late.status_code == 409
    assert late.json()["current"] == "declined"


async def test_sharing_personal_data_needs_consent_or_an_audited_override(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        offers = f"/cases/{case_id}/offers"
        body = {"provider_id": SHELTER, "services": ["shelter"], "share_personal_data": True}
        without = await client.post(offers, json=body, headers=auth("mosvy-case-system"))
        reason = "Child in immediate danger; guardian unreachable; shelter must know medical needs."
        overridden = await client.post(
            offers, json={**body, "consent_override_reason": reason}, headers=auth("mosvy-case-system")
        )
        accept = f"/referrals/{overridden.json()['referral_id']}/accept"
        assert (await client.post(accept, headers=auth("ngo-shelter-system"))).status_code == 200
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]
    assert without.status_code == 409
    assert without.json()["type"].endswith("consent-required")
    assert overridden.status_code == 201
    assert await scalar(settings, "SELECT reason FROM consent_override") == reason
    (shared,) = [e.data for e in events if isinstance(e.data, ReferralPersonalDataShared)]
    assert (shared.provider_id, shared.agency, shared.overrides_consent) == (SHELTER, "NGO", True)
    assert reason not in str(events), "the override's reason stays in referral"


async def test_a_person_who_declines_services_is_offered_nothing_and_the_offers_still_open_end(
    servers: Endpoints, referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        offers, body = f"/cases/{case_id}/offers", {"provider_id": SHELTER, "services": ["shelter"]}
        offered = await client.post(offers, json=body, headers=auth("mosvy-case-system"))
        await _services_consent(servers, settings, case_id, given=False)
        ended = await client.get(f"/referrals/{offered.json()['referral_id']}", headers=auth("mosvy-case-system"))
        refused = await client.post(
            f"/referrals/{offered.json()['referral_id']}/accept", headers=auth("ngo-shelter-system")
        )
        declined = await client.post(offers, json=body, headers=auth("mosvy-case-system"))
        await _services_consent(servers, settings, case_id, given=True)
        again = await client.post(offers, json=body, headers=auth("mosvy-case-system"))
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]
    assert offered.status_code == 201, offered.text
    assert (ended.json()["state"], ended.json()["decline_reason"]) == ("declined", "victim-declined")
    assert (refused.status_code, refused.json()["current"]) == (409, "declined")
    assert declined.status_code == 409
    assert declined.json()["type"].endswith("consent-required")
    assert again.status_code == 201, again.text
    (told,) = [e.data for e in events if isinstance(e.data, ReferralDeclined)]
    assert (told.provider_id, told.reason) == (SHELTER, "victim-declined")


async def test_an_offer_sent_twice_reaches_the_provider_once_and_may_be_sent_again_once_declined(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        case_id = await _case_for_the_shelter(client, settings, auth, identify, provider_body)
        offers = f"/cases/{case_id}/offers"
        body = {"provider_id": SHELTER, "services": ["shelter"]}
        burst = await asyncio.gather(
            *[client.post(offers, json=body, headers=auth("mosvy-case-system")) for _ in range(3)]
        )
        referral_id = next(a.json()["referral_id"] for a in burst if a.status_code == 201)
        again = await client.post(offers, json=body, headers=auth("mosvy-case-system"))
        declined = await client.post(
            f"/referrals/{referral_id}/decline", json={"reason": "no-capacity"}, headers=auth("ngo-shelter-system")
        )
        anew = await client.post(offers, json=body, headers=auth("mosvy-case-system"))

    assert sorted(a.status_code for a in burst) == [201, 409, 409], [a.text for a in burst]
    assert again.status_code == 409, again.text
    assert (again.json()["referral_id"], again.json()["current"]) == (referral_id, "offered")
    assert declined.status_code == 200, declined.text
    assert anew.status_code == 201, anew.text
    assert await scalar(settings, "SELECT count(*) FROM referral WHERE case_id = :c", c=case_id) == 2


async def test_a_provider_id_too_short_for_the_referral_events_is_refused_and_an_older_one_still_listed(
    referral_settings: Settings, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    async with running(build(settings)) as client:
        listed = await client.put("/providers/ngo-7", json=provider_body("ngo-7"), headers=auth("mosvy-case-system"))
        await _directory(client, auth, provider_body(SHELTER))
        connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
        try:  # as a release that took shorter ids left it
            await connection.execute("UPDATE provider SET provider_id = 'ngo-7' WHERE provider_id = $1", SHELTER)
        finally:
            await connection.close()
        directory = await client.get("/providers", headers=auth("ngo-shelter-system"))

    assert [provider["provider_id"] for provider in directory.json()] == ["ngo-7"], "an older id is still listed"
    assert listed.status_code == 422
    assert broken(listed) == [
        ("path.provider_id", "string_pattern_mismatch"),
        ("body.provider_id", "string_pattern_mismatch"),
    ]


async def test_referrals_are_listed_a_page_at_a_time_down_to_the_newest(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    mosvy = auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER))
        case_ids = [await identify(settings) for _ in range(3)]
        offered = []
        for case_id in case_ids:
            await _opened(client, auth, case_id)
            offered.append(await _offer(client, auth, case_id, SHELTER, "shelter"))
        declined = await client.post(
            f"/referrals/{offered[1]}/decline", json={"reason": "other"}, headers=auth("ngo-shelter-system")
        )
        first = await client.get("/referrals", params={"limit": 2}, headers=mosvy)
        second = await client.get(first.links["next"]["url"], headers=mosvy)
        of_one_case = await client.get("/referrals", params={"case_id": case_ids[2]}, headers=mosvy)
        in_one_state = await client.get("/referrals", params={"state": "declined"}, headers=mosvy)
        forged = await client.get("/referrals", params={"after": "bm90IGEgY3Vyc29y"}, headers=mosvy)
    assert declined.status_code == 200
    assert [r["referral_id"] for r in first.json() + second.json()] == offered
    assert "next" not in second.links
    assert [r["referral_id"] for r in of_one_case.json()] == [offered[2]]
    assert [r["referral_id"] for r in in_one_state.json()] == [offered[1]]
    assert forged.status_code == 422
    assert forged.json()["errors"] == [
        {
            "path": "query.after",
            "rule": "cursor_invalid",
            "message": "not a cursor this list gave; follow its Link header",
        }
    ]


async def test_a_person_returned_to_their_country_leaves_cambodias_care_and_frees_the_bed(
    servers: Endpoints, referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    mosvy, shelter = auth("mosvy-case-system"), auth("ngo-shelter-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER), provider_body(LEGAL))
        case_id = await identify(settings, nationality="VNM")
        await _opened(client, auth, case_id)
        sheltered = await _offer(client, auth, case_id, SHELTER, "shelter")
        assert (await client.post(f"/referrals/{sheltered}/accept", headers=shelter)).status_code == 200
        unanswered = await _offer(client, auth, case_id, LEGAL, "legal")
        occupied = {p["provider_id"]: p["occupancy"] for p in (await client.get("/providers", headers=mosvy)).json()}
        returned = CaseRepatriated(
            case_id=case_id,
            repatriation_id="rep-khm-0123456789abcdef0123",
            from_country=Country.CAMBODIA,
            to_country=Country.VIET_NAM,
            border_gate=BorderGate.MOC_BAI_BAVET,
            repatriated_at=datetime.now(UTC),
        )
        await publish(
            servers.kafka_bootstrap, settings.topic_namespace, returned, source=source_of("repatriation", "MOSVY")
        )

        async def left() -> bool:
            return bool((await client.get(f"/cases/{case_id}", headers=mosvy)).json()["status"] == "ClosedReferred")

        await eventually(left, what="the case closed once the person went home")
        states = {
            r: (await client.get(f"/referrals/{r}", headers=mosvy)).json()["state"] for r in (sheltered, unanswered)
        }
        freed = {p["provider_id"]: p["occupancy"] for p in (await client.get("/providers", headers=mosvy)).json()}
        again = await client.post(
            f"/cases/{case_id}/offers", json={"provider_id": SHELTER, "services": ["shelter"]}, headers=mosvy
        )
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, REFERRAL)]

    assert (occupied[SHELTER], freed[SHELTER]) == (1, 0)
    assert again.status_code == 409
    assert again.json()["type"].endswith("case-closed")
    assert again.json()["current"] == "ClosedReferred"
    assert states == {sheltered: "closed-referred", unanswered: "closed-referred"}
    closed = [
        (e.type.removeprefix("kh.spean."), str(e.data.model_dump().get("status")))
        for e in events
        if e.subject == case_id
    ]
    assert closed[-3:] == [
        ("referral.closed.v1", "ClosedReferred"),
        ("referral.closed.v1", "ClosedReferred"),
        ("case.closed.v1", "ClosedReferred"),
    ]


async def test_the_cases_still_to_be_placed_are_listed_longest_waiting_first(
    referral_settings: Settings, identify: Identify, auth: Auth, provider_body: ProviderBody
) -> None:
    settings = await referral_settings()
    mosvy = auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _directory(client, auth, provider_body(SHELTER))
        offered, declined, waiting = [await identify(settings) for _ in range(3)]
        for case_id in (offered, declined, waiting):
            await _opened(client, auth, case_id)
        await _offer(client, auth, offered, SHELTER, "shelter")
        refused = await _offer(client, auth, declined, SHELTER, "shelter")
        answer = await client.post(
            f"/referrals/{refused}/decline", json={"reason": "no-capacity"}, headers=auth("ngo-shelter-system")
        )
        assert answer.status_code == 200, answer.text

        unplaced = await client.get("/cases", params={"status": "Active", "unplaced": "true"}, headers=mosvy)
        listed = await pages(client, "/cases", mosvy, limit=2)
        by_provider = await client.get("/cases", headers=auth("ngo-shelter-system"))

    assert [case["case_id"] for case in unplaced.json()] == [declined, waiting]
    assert [[case["case_id"] for case in page.json()] for page in listed] == [[offered, declined], [waiting]]
    assert by_provider.status_code == 403
