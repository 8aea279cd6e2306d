"""A return request, or a correction, cannot send as an adult a person identification knows as a child who
may still be one: the child's safeguards would be lost at the border. An assessment that comes after the
request marks the return instead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from spean_contracts.events import AgeAssessed, ScreeningRecorded
from spean_contracts.fields import INDOCHINA, local_today
from spean_contracts.vocabulary import (
    AgeBand,
    AgeMethod,
    Agency,
    Continuum,
    Country,
    Encounter,
    Outcome,
    Province,
    Sex,
)
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, scalar
from tests.support.kafka import publish
from tests.support.repatriation import CONSENT, Instance, InstanceFactory, asked_of_viet_nam, person, return_request

GUARDIAN = {**CONSENT, "given_by": "guardian"}
ON_AN_ESTIMATE = {"birth_date": None, "estimated_age": 20, "claimed_nationality": "VNM"}


def assessed(case_id: str, *, at: datetime, child: bool = True) -> AgeAssessed:
    return AgeAssessed(
        case_id=case_id,
        age_band=AgeBand.TEEN if child else AgeBand.YOUNG_ADULT,
        is_child=child,
        methods=[AgeMethod.DOCUMENTS_VERIFIED],
        agency=Agency.MOSVY,
        assessed_at=at,
    )


def screened(case_id: str, *, at: datetime, child: bool = True) -> ScreeningRecorded:
    """A 12-to-17-year-old screened at the border, or an adult (`child` false)."""
    return ScreeningRecorded(
        case_id=case_id,
        screening_id=f"scr-{uuid.uuid4().hex}",
        agency=Agency.MOI_POLICE,
        encounter=Encounter.BORDER_SCREENING,
        continuum=Continuum.A,
        indicators_present=4,
        suggested_outcome=Outcome.TRAFFICKING_VICTIM,
        match_keys=[],
        screened_at=at,
        province=Province("KH-1"),
        sex=Sex.FEMALE,
        age_band=AgeBand.TEEN if child else AgeBand.YOUNG_ADULT,
        nationality=Country.VIET_NAM,
        is_child=child,
    )


def ask(case_id: str | None = None, **overrides: object) -> dict[str, object]:
    """Viet Nam asked to take back a person sent as an adult on an estimated age, unless `overrides` say
    otherwise."""
    return return_request(case_id, origin="VNM", **(ON_AN_ESTIMATE | overrides))


def correction(consent: dict[str, str] = CONSENT, **overrides: object) -> dict[str, object]:
    return {"person": person(**(ON_AN_ESTIMATE | overrides)), "consent": consent, "reason": "documents-verified"}


async def known_here(kh: Instance, case_id: str, *, assessed: bool) -> None:
    async def known() -> bool:
        found = await scalar(kh.settings, "SELECT assessed FROM case_age WHERE case_id = :case_id", case_id=case_id)
        return bool(found is assessed)

    await eventually(known, what="identification's word on the age kept")


async def test_a_child_identification_knows_goes_as_a_child_unless_a_document_says_18(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    now = datetime.now(UTC)
    # At 02:00 in Phnom Penh, still the day before in UTC.
    assessed_on = local_today() - timedelta(days=1)
    child, grown_up, overruled = (f"case-{uuid.uuid4().hex}" for _ in range(3))
    await publish(
        servers.kafka_bootstrap,
        kh.settings.topic_namespace,
        assessed(child, at=datetime.combine(assessed_on, time(2), INDOCHINA)),
        # Screened at 12 to 17 seven years ago: 19 at the youngest today.
        screened(grown_up, at=now - timedelta(days=7 * 366)),
        screened(overruled, at=now - timedelta(days=30)),
        assessed(overruled, at=now, child=False),
    )
    for case_id, by_assessment in ((child, True), (grown_up, False), (overruled, True)):
        await known_here(kh, case_id, assessed=by_assessment)

    as_an_adult = await kh.api.post("/repatriations", json=ask(child), headers=kh.officer)
    nineteen = (now - timedelta(days=19 * 366)).date().isoformat()
    by_document = await kh.api.post(
        "/repatriations", json=ask(child, birth_date=nineteen, estimated_age=None), headers=kh.officer
    )
    others = [
        await kh.api.post("/repatriations", json=ask(case_id), headers=kh.officer) for case_id in (grown_up, overruled)
    ]

    refusal = as_an_adult.json()
    assert (as_an_adult.status_code, refusal["errors"][0]["path"], refusal["errors"][0]["rule"]) == (
        422,
        "body.person.is_child",
        "child_by_identification",
    )
    assert f"by MoSVY's age assessment of {assessed_on.isoformat()}" in refusal["detail"]
    assert by_document.status_code == 201, by_document.text
    assert [answer.status_code for answer in others] == [201, 201]
    assert await scalar(kh.settings, "SELECT count(*) FROM repatriation WHERE case_id = :c", c=child) == 1
    await vn.reached(by_document.json()["reference"], "requested")


async def test_an_assessment_come_after_the_request_marks_it_and_the_correction_must_make_a_child(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    # Screened as an adult; MoSVY assessed her a child before the request, but its event reaches
    # repatriation only after.
    before = datetime.now(UTC)
    asked = ask()
    as_screened = screened(str(asked["case_id"]), at=before - timedelta(days=1), child=False)
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, as_screened)
    await known_here(kh, str(asked["case_id"]), assessed=False)
    answer = await kh.api.post("/repatriations", json=asked, headers=kh.officer)
    assert answer.status_code == 201, answer.text
    reference, case_id = answer.json()["reference"], str(asked["case_id"])
    await vn.reached(reference, "requested")
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, assessed(case_id, at=before))

    async def marked() -> bool:
        return (await kh.show(reference))["identity_changed_at"] is not None

    await eventually(marked, what="the return marked by the assessment that came late")
    corrected = f"/repatriations/{reference}/person"
    still_adult = await kh.api.put(
        corrected,
        json=correction(names=["Right Name"]),
        headers=kh.officer,
    )
    a_child = await kh.api.put(
        corrected,
        json=correction(GUARDIAN, estimated_age=16, is_child=True),
        headers=kh.officer,
    )
    _, untouched = await asked_of_viet_nam(kh)

    assert (still_adult.status_code, still_adult.json()["errors"][0]["rule"]) == (422, "child_by_identification")
    assert a_child.status_code == 200, a_child.text
    assert (a_child.json()["is_child"], a_child.json()["identity_changed_at"]) == (True, None)
    assert (await kh.show(untouched))["identity_changed_at"] is None
