"""The suggested outcome follows what is known of the person's age on the day they were met: a correction of
their birth date, or the competent authority's age assessment, makes the legal test a child's or an adult's
again, in the answer and in MoSVY's queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import running

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
# Recruited and put to work, with no means recorded and a migration chosen freely: for an adult the legal test
# is not met, for a child act and purpose suffice.
WITHOUT_MEANS = {"indicators": {"acts": ["recruitment"], "purposes": ["forced-labour"]}, "continuum": "E"}
CHILDS_TEST = "under 18: act and purpose suffice, means are not needed"


async def _queued(client: httpx.AsyncClient, screening_id: str, mosvy: dict[str, str]) -> str:
    """The suggestion MoSVY's queue of cases awaiting a determination shows for the screening."""
    queue = await client.get("/screenings", params={"awaiting": "determination"}, headers=mosvy)
    (listed,) = [s for s in queue.json() if s["screening_id"] == screening_id]
    suggestion: str = listed["suggested_outcome"]
    return suggestion


async def test_a_correction_that_makes_the_person_a_child_suggests_the_outcome_by_a_childs_test(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    recorded_body = screening(**WITHOUT_MEANS)
    met = datetime.fromisoformat(recorded_body["encountered_at"])
    child = recorded_body["person"] | {"birth_date": date(met.year - 15, 1, 1).isoformat()}
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=recorded_body, headers=centre)).json()
        corrected = await client.put(
            f"/screenings/{recorded['screening_id']}/person",
            json={"person": child, "reason": "documents-verified"},
            headers=centre,
        )
        queued = await _queued(client, recorded["screening_id"], mosvy)

    assert recorded["suggested_outcome"] == "vulnerable-person"
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["suggested_outcome"] == queued == "trafficking-victim"
    assert CHILDS_TEST in corrected.json()["reasons"]


async def test_an_age_assessment_suggests_again_by_the_assessed_age_when_the_person_was_met(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    two_years_ago = datetime.now(UTC) - timedelta(days=2 * 365 + 30)
    recorded_body = screening(**WITHOUT_MEANS, encountered_at=two_years_ago.isoformat())
    grounds = {"methods": ["documents-verified"], "reasons": ["school record verified"]}
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=recorded_body, headers=centre)).json()
        assessments = f"/cases/{recorded['case_id']}/age-assessments"
        # 19 now, so 17 when met two years ago: exploited as a child.
        nineteen = await client.post(assessments, json={"age": 19, **grounds}, headers=mosvy)
        as_a_child = await _queued(client, recorded["screening_id"], mosvy)
        thirty = await client.post(assessments, json={"age": 30, **grounds}, headers=mosvy)
        as_an_adult = await _queued(client, recorded["screening_id"], mosvy)

    assert recorded["suggested_outcome"] == "vulnerable-person"
    assert (nineteen.status_code, nineteen.json()["is_child"]) == (201, False)
    assert as_a_child == "trafficking-victim"
    assert thirty.status_code == 201
    assert as_an_adult == "vulnerable-person"
