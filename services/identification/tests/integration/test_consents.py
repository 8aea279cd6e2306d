"""Who gives consent: the person, or for a child a parent or guardian. A child is a child until their birth
date (or the officer's estimate, grown by the years since) says 18; reading it for that is audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from spean_contracts.fields import local_today
from spean_identification.app import build
from spean_identification.determinations import AGE_READ
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, running

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
SCREENED_AS_A_CHILD = "under 18: act and purpose suffice, means are not needed"


def _born_years_ago(years: int, *, days_more: int = 0) -> str:
    today = local_today()
    return (date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=days_more)).isoformat()


def _person(**age: Any) -> dict[str, Any]:
    return {"names": ["Srey Neang"], "sex": "female", "nationality": "KHM"} | age


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def _screened_then_consenting(
    client: httpx.AsyncClient, centre: dict[str, str], people: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """Each person screened at the centre, then giving their own consent to sharing between agencies."""
    recorded = [(await client.post("/screenings", json=body, headers=centre)).json() for body in people]
    own = {"purpose": "sharing-agencies", "given": True}
    answers = [await client.post(f"/cases/{r['case_id']}/consents", json=own, headers=centre) for r in recorded]
    return recorded, answers


async def test_a_childs_consent_is_a_guardians_to_give_and_either_may_withdraw_it(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre = auth("poipet-tc-system")
    async with running(build(settings)) as client:
        child = (
            await client.post(
                "/screenings", json=screening(person=_person(birth_date=_born_years_ago(15))), headers=centre
            )
        ).json()
        adult = (await client.post("/screenings", json=screening(), headers=centre)).json()
        consents = f"/cases/{child['case_id']}/consents"

        by_the_child = await client.post(consents, json={"purpose": "images", "given": True}, headers=centre)
        recorded_after_refusal = await client.get(consents, headers=centre)
        by_a_guardian = await client.post(
            consents, json={"purpose": "images", "given": True, "given_by": "guardian"}, headers=centre
        )
        withdrawn_by_the_child = await client.post(consents, json={"purpose": "images", "given": False}, headers=centre)
        by_an_adult = await client.post(
            f"/cases/{adult['case_id']}/consents", json={"purpose": "images", "given": True}, headers=centre
        )
        current = await client.get(consents, headers=centre)
        child_trail, adult_trail = [
            await client.get("/audit", params={"screening_id": s["screening_id"]}, headers=auth("operations-console"))
            for s in (child, adult)
        ]

    assert by_the_child.status_code == 422
    assert broken(by_the_child) == [("body.given_by", "guardian_required")]
    assert recorded_after_refusal.json() == []
    assert by_a_guardian.status_code == 201
    assert (by_a_guardian.json()["given"], by_a_guardian.json()["given_by"]) == (True, "guardian")
    assert withdrawn_by_the_child.status_code == 201
    assert by_an_adult.status_code == 201
    assert by_an_adult.json()["given_by"] == "person"
    assert [(c["purpose"], c["given"], c["given_by"]) for c in current.json()] == [("images", False, "person")]
    # Only the refused consent needed the child's age; the guardian's did not, nor did the adult's.
    assert [(e["agency"], e["reason"]) for e in child_trail.json()] == [("MOSVY-POIPET-TC", AGE_READ)]
    assert adult_trail.json() == []


async def test_a_person_screened_as_a_child_consents_alone_once_they_are_18(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    people = [
        screening(encountered_at=_days_ago(40), person=_person(birth_date=_born_years_ago(18, days_more=1))),
        screening(encountered_at=_days_ago(400), person=_person(estimated_age=17)),
        screening(encountered_at=_days_ago(40), person=_person(estimated_age=17)),
    ]
    async with running(build(settings)) as client:
        recorded, answers = await _screened_then_consenting(client, auth("poipet-tc-system"), people)

    assert all(SCREENED_AS_A_CHILD in r["reasons"] for r in recorded)
    assert [answer.status_code for answer in answers] == [201, 201, 422]


async def test_a_person_presumed_a_child_is_treated_as_one_for_a_year_whatever_their_papers_say(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre = auth("poipet-tc-system")
    papers_say_19 = _born_years_ago(19)
    people = [
        screening(encountered_at=_days_ago(40), person=_person(birth_date=papers_say_19, presumed_child=True)),
        screening(encountered_at=_days_ago(400), person=_person(birth_date=papers_say_19, presumed_child=True)),
        screening(encountered_at=_days_ago(40), person=_person(birth_date=papers_say_19)),
    ]
    async with running(build(settings)) as client:
        recorded, answers = await _screened_then_consenting(client, centre, people)
        listed = {s["screening_id"]: s for s in (await client.get("/screenings", headers=centre)).json()}

    assert [SCREENED_AS_A_CHILD in r["reasons"] for r in recorded] == [True, True, False]
    assert [listed[r["screening_id"]]["is_child"] for r in recorded] == [True, True, False]
    # Taken as 17 on the day of the screening: a child still after forty days, of age after four hundred.
    assert [answer.status_code for answer in answers] == [422, 201, 201]
    assert answers[0].json()["errors"][0]["rule"] == "guardian_required"


async def test_a_consent_sent_again_under_its_key_is_recorded_once(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    """A shelter's system whose answer was lost sends the consent again: the person consented once."""
    settings = await identification_settings()
    centre = auth("poipet-tc-system")
    keyed = {**centre, "Idempotency-Key": "poipet-consent-0001"}
    consent = {"purpose": "images", "given": True}
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=centre)).json()["case_id"]
        first = await client.post(f"/cases/{case_id}/consents", json=consent, headers=keyed)
        again = await client.post(f"/cases/{case_id}/consents", json=consent, headers=keyed)
        recorded = await client.get(f"/cases/{case_id}/consents", headers=centre)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [c["recorded_at"] for c in recorded.json()] == [first.json()["recorded_at"]]


async def test_a_colleagues_key_does_not_give_its_answer_to_one_whose_roles_would_not(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    """Keys are the agency's, but an answer is given again only to whom it was given: the operations console,
    of MoSVY too and holding no consent role, cannot read a case's consent through its case system's key."""
    settings = await identification_settings()
    consent = {"purpose": "images", "given": True}
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()[
            "case_id"
        ]
        path = f"/cases/{case_id}/consents"
        key = {"Idempotency-Key": "mosvy-consent-0001"}
        first = await client.post(path, json=consent, headers={**auth("mosvy-case-system"), **key})
        console = await client.post(path, json=consent, headers={**auth("operations-console"), **key})
    assert first.status_code == 201
    assert console.status_code == 422
    assert broken(console) == [("header.Idempotency-Key", "idempotency_key_reused")]
    assert first.json()["recorded_at"] not in console.text
