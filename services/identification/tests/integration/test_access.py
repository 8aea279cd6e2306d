"""Reading personal data: by agency and purpose only, every read audited, granted or refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from spean_contracts import from_kafka_record
from spean_contracts.registry import IDENTIFICATION
from spean_identification.app import build
from spean_identification.domain.access import ERASED
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, pages, running
from tests.support.kafka import names_of, published

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
SHELTER = {"agency": "NGO", "organisation": "prov-ngo-shelter-01"}


async def test_another_agency_reads_only_what_was_shared_and_only_with_a_purpose(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        path = f"/screenings/{recorded['screening_id']}"
        purpose = {"purpose": "arrange shelter placement"}

        ngo_before = await client.get(path, params=purpose, headers=auth("ngo-shelter-system"))
        owner_without_purpose = await client.get(path, headers=auth("moi-case-system"))
        owner = await client.get(path, params=purpose, headers=auth("moi-case-system"))
        await client.post(
            f"/cases/{recorded['case_id']}/consents",
            json={"purpose": "sharing-agencies", "given": True},
            headers=auth("moi-case-system"),
        )
        every_ngo = await client.post(f"{path}/shares", json={"agency": "NGO"}, headers=auth("moi-case-system"))
        legal_aid = {"agency": "NGO", "organisation": "prov-legal-aid-01"}
        assert (await client.post(f"{path}/shares", json=legal_aid, headers=auth("moi-case-system"))).status_code == 204
        shelter_of_another_ngo = await client.get(path, params=purpose, headers=auth("ngo-shelter-system"))
        shared = await client.post(f"{path}/shares", json=SHELTER, headers=auth("moi-case-system"))
        ngo_after = await client.get(path, params=purpose, headers=auth("ngo-shelter-system"))
        analyst = await client.get(path, params=purpose, headers=auth("ncct-statistics-system"))
        audit = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )
        audit_by_screener = await client.get("/audit", headers=auth("moi-case-system"))

    assert ngo_before.status_code == 403
    assert ngo_before.json()["detail"] == "not the owning agency and not shared with it"
    no_purpose = (owner_without_purpose.status_code, broken(owner_without_purpose))
    assert no_purpose == (422, [("query.purpose", "purpose_required")])
    assert owner.status_code == 200
    assert owner.json()["person"]["names"] == ["Sok Dara"]
    assert every_ngo.status_code == 422
    assert broken(every_ngo) == [("body.organisation", "organisation_required")]
    assert shared.status_code == 204
    assert ngo_after.status_code == 200
    assert shelter_of_another_ngo.status_code == 403
    assert shelter_of_another_ngo.json()["detail"] == "not the owning agency and not shared with it"
    assert analyst.status_code == 403
    assert audit_by_screener.status_code == 403
    trail = [(entry["agency"], entry["granted"], entry["purpose"]) for entry in audit.json()]
    assert trail == [
        ("NGO", False, "arrange shelter placement"),
        ("MOI-AHTJP", False, None),
        ("MOI-AHTJP", True, "arrange shelter placement"),
        ("MOI-AHTJP", True, None),
        ("NGO", False, "arrange shelter placement"),
        ("MOI-AHTJP", True, None),
        ("NGO", True, "arrange shelter placement"),
    ]


async def test_a_share_stands_only_on_the_victims_consent_or_the_competent_authoritys_override(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    owner, authority, shelter = auth("moi-case-system"), auth("mosvy-case-system"), auth("ngo-shelter-system")
    override = {**SHELTER, "consent_override_reason": "the child's guardian cannot be reached and needs care"}
    purpose = {"purpose": "arrange shelter placement"}
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=owner)).json()
        path, consents = f"/screenings/{recorded['screening_id']}", f"/cases/{recorded['case_id']}/consents"

        async def consent(given: bool) -> None:
            answer = await client.post(consents, json={"purpose": "sharing-agencies", "given": given}, headers=owner)
            assert answer.status_code == 201

        without_consent = await client.post(f"{path}/shares", json=SHELTER, headers=owner)
        overridden_by_owner = await client.post(f"{path}/shares", json=override, headers=owner)
        await consent(True)
        shared = await client.post(f"{path}/shares", json=SHELTER, headers=owner)
        read_with_consent = await client.get(path, params=purpose, headers=shelter)
        await consent(False)
        read_after_withdrawal = await client.get(path, params=purpose, headers=shelter)
        owner_after_withdrawal = await client.get(path, params=purpose, headers=owner)
        overridden = await client.post(f"{path}/shares", json=override, headers=authority)
        read_under_override = await client.get(path, params=purpose, headers=shelter)
        await consent(False)
        read_after_second_withdrawal = await client.get(path, params=purpose, headers=shelter)
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )

    assert without_consent.status_code == 409
    assert without_consent.json()["type"].endswith("consent-required")
    assert overridden_by_owner.status_code == 403
    assert shared.status_code == 204
    assert read_with_consent.status_code == 200
    assert read_after_withdrawal.status_code == 403
    assert (
        read_after_withdrawal.json()["detail"]
        == "shared, but the victim no longer consents to sharing between agencies"
    )
    assert owner_after_withdrawal.status_code == 200
    assert overridden.status_code == 204
    assert read_under_override.status_code == 200
    assert read_after_second_withdrawal.status_code == 403
    shares = [
        (e["agency"], e["purpose"], e["reason"])
        for e in trail.json()
        if e["reason"].startswith("shared with NGO (prov-ngo-shelter-01)")
    ]
    assert shares == [
        ("MOI-AHTJP", None, "shared with NGO (prov-ngo-shelter-01)"),
        (
            "MOSVY",
            override["consent_override_reason"],
            "shared with NGO (prov-ngo-shelter-01) without the victim's consent",
        ),
    ]


async def test_an_erased_case_can_no_longer_be_read_and_its_trail_says_who_erased_it_and_why(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    basis = "Phnom Penh court order 123/2026"
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        path = f"/cases/{recorded['case_id']}/personal-data"
        without_basis = await client.delete(path, headers=auth("mosvy-case-system"))
        erased = await client.delete(path, params={"legal_basis": basis}, headers=auth("mosvy-case-system"))
        read = await client.get(
            f"/screenings/{recorded['screening_id']}",
            params={"purpose": "court request"},
            headers=auth("moi-case-system"),
        )
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )
        records = await published(settings, IDENTIFICATION)
    assert without_basis.status_code == 422
    assert without_basis.json()["errors"][0]["path"] == "query.legal_basis"
    assert erased.status_code == 204
    assert read.status_code == 410
    assert [(e["agency"], e["purpose"], e["granted"], e["reason"]) for e in trail.json()] == [
        ("MOSVY", basis, True, "lawful erasure"),
        ("MOI-AHTJP", "court request", False, ERASED),
    ]
    erasures = [r for r in records if names_of([r]) == ["identification.personal-data-erased"]]
    assert [from_kafka_record(r.value, r.headers).subject for r in erasures] == [recorded["case_id"]]


async def test_a_justification_that_names_the_person_is_refused_before_anything_is_shared_or_erased(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    mosvy = auth("mosvy-case-system")
    naming = "Sok Dara asked for it at the Poipet transit centre"
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        shared = await client.post(
            f"/screenings/{recorded['screening_id']}/shares",
            json={**SHELTER, "consent_override_reason": naming},
            headers=mosvy,
        )
        erased = await client.delete(
            f"/cases/{recorded['case_id']}/personal-data", params={"legal_basis": naming}, headers=mosvy
        )
        read = await client.get(
            f"/screenings/{recorded['screening_id']}", params={"purpose": "court request"}, headers=mosvy
        )
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )

    assert [(answer.status_code, answer.json()["errors"][0]["rule"]) for answer in (shared, erased)] == [
        (422, "names_the_person"),
        (422, "names_the_person"),
    ]
    assert [answer.json()["errors"][0]["path"] for answer in (shared, erased)] == [
        "body.consent_override_reason",
        "query.legal_basis",
    ]
    assert read.status_code == 200
    assert naming not in trail.text


async def test_consent_is_recorded_per_purpose_and_withdrawable(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()[
            "case_id"
        ]
        consents = f"/cases/{case_id}/consents"
        for purpose, given in (
            ("services", True),
            ("sharing-agencies", True),
            ("images", False),
            ("sharing-agencies", False),
        ):
            answer = await client.post(
                consents, json={"purpose": purpose, "given": given}, headers=auth("poipet-tc-system")
            )
            assert answer.status_code == 201
        current = await client.get(consents, headers=auth("mosvy-case-system"))
    assert {c["purpose"]: c["given"] for c in current.json()} == {
        "services": True,
        "sharing-agencies": False,
        "images": False,
    }
    assert {c["agency"] for c in current.json()} == {"MOSVY-POIPET-TC"}


async def test_the_audit_trail_is_read_a_page_at_a_time_to_its_latest_entry_and_its_links_hold(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    auditor = auth("operations-console")
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        purposes = [f"court request number {n}" for n in range(5)]
        for purpose in purposes:
            read = await client.get(
                f"/screenings/{recorded['screening_id']}", params={"purpose": purpose}, headers=auth("moi-case-system")
            )
            assert read.status_code == 200
        trail = await pages(client, "/audit", auditor, limit=2)
        verified = await client.get("/audit/verify", headers=auditor)
    assert [len(page.json()) for page in trail] == [2, 2, 1]
    assert [entry["purpose"] for page in trail for entry in page.json()] == purposes
    assert (verified.json()["entries"], verified.json()["valid"]) == (5, True)


async def test_an_auditor_narrows_the_trail_to_one_reader_one_agency_or_a_period(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    auditor = auth("operations-console")
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        path = f"/screenings/{recorded['screening_id']}"
        for purpose in ("investigation file", "court request"):
            read = await client.get(path, params={"purpose": purpose}, headers=auth("moi-case-system"))
            assert read.status_code == 200
        between = datetime.now(UTC)
        refused = await client.get(path, params={"purpose": "arrange shelter"}, headers=auth("ngo-shelter-system"))
        read = await client.get(path, params={"purpose": "prosecutor asked"}, headers=auth("moi-case-system"))
        whole = (await client.get("/audit", headers=auditor)).json()
        officer = whole[0]["subject"]

        async def listed(**narrowing: Any) -> list[str]:
            return [
                e["purpose"]
                for page in await pages(client, "/audit", auditor, limit=1, **narrowing)
                for e in page.json()
            ]

        by_officer = await listed(subject=officer)
        by_agency = await listed(agency="NGO")
        since = await listed(since=between.isoformat())
        before = await listed(until=between.isoformat(), agency="MOI-AHTJP")
        refusals = await listed(granted="false")
        backwards = await client.get(
            "/audit", params={"since": between.isoformat(), "until": between.isoformat()}, headers=auditor
        )

    assert (refused.status_code, read.status_code) == (403, 200)
    assert len(whole) == 4
    assert by_officer == ["investigation file", "court request", "prosecutor asked"]
    assert by_agency == ["arrange shelter"]
    assert since == ["arrange shelter", "prosecutor asked"]
    assert before == ["investigation file", "court request"]
    assert refusals == ["arrange shelter"]
    assert backwards.status_code == 422
    assert broken(backwards) == [("query.until", "after_since")]


async def test_sharing_keeps_working_after_postgresql_settles_on_a_generic_plan(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    organisations = [f"prov-ngo-{number:02d}" for number in range(1, 41)]
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()
        path = f"/screenings/{recorded['screening_id']}/shares"
        await client.post(
            f"/cases/{recorded['case_id']}/consents",
            json={"purpose": "sharing-agencies", "given": True},
            headers=auth("moi-case-system"),
        )
        # PostgreSQL plans a prepared statement afresh five times, then may keep one generic plan: enough
        # shares that each of the service's pooled connections runs the statement more often than that.
        answers = [
            (await client.post(path, json={"agency": "NGO", "organisation": o}, headers=auth("moi-case-system")))
            for o in [*organisations, organisations[0]]
        ]
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )

    assert [answer.status_code for answer in answers] == [204] * (len(organisations) + 1)
    shared_with = [e["reason"] for e in trail.json() if e["reason"].startswith("shared with")]
    assert shared_with == [f"shared with NGO ({o})" for o in [*organisations, organisations[0]]]
