"""Match keys, per-case encryption and the access rule: the privacy machinery, without servers."""

from __future__ import annotations

import base64
import os
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from spean_contracts.fields import local_day
from spean_contracts.vocabulary import AgeBand, Country, Sex
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.domain.access import (
    ERASED,
    Grant,
    LatestConsent,
    may_read,
    may_read_determination,
    unless_erased,
)
from spean_identification.domain.matchkeys import match_keys
from spean_identification.domain.person import Person, age_band
from spean_identification.settings import IdentificationSettings
from spean_kit.keyring import KeyRing, Unopenable

SECRET = b"s" * 32
SCREENED = date(2026, 11, 2)


def _person(names: list[str], birth_date: date | None = date(1998, 4, 1), estimated_age: int | None = None) -> Person:
    return Person(
        names=names, birth_date=birth_date, estimated_age=estimated_age, sex=Sex.FEMALE, nationality=Country.CAMBODIA
    )


def test_the_same_person_written_differently_gets_the_same_keys() -> None:
    police = match_keys(_person(["Sok Dara"]), SECRET, screened_on=SCREENED)
    ngo = match_keys(_person(["DARA", "sok"]), SECRET, screened_on=SCREENED)
    assert police == ngo


def test_an_estimated_age_links_only_by_name_and_year() -> None:
    exact = match_keys(_person(["Sok Dara"]), SECRET, screened_on=SCREENED)
    estimated = match_keys(_person(["Sok Dara"], birth_date=None, estimated_age=28), SECRET, screened_on=SCREENED)
    assert estimated == [exact[1]]


def test_keys_depend_on_the_secret_and_reveal_nothing_readable() -> None:
    keys = match_keys(_person(["Sok Dara"]), SECRET, screened_on=SCREENED)
    other = match_keys(_person(["Sok Dara"]), b"t" * 32, screened_on=SCREENED)
    assert set(keys).isdisjoint(other)
    assert all(len(key) == 43 and "dara" not in key.lower() for key in keys)


def test_a_screening_sent_in_utc_gets_the_keys_of_its_local_day() -> None:
    """An estimated age keys the birth year as the year of the encounter less the age: a New Year's night
    encounter sent in UTC, or made again later from the stored moment, must count Cambodia's year."""
    estimated = _person(["Sok Dara"], birth_date=None, estimated_age=28)
    in_phnom_penh = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=7)))
    in_utc = in_phnom_penh.astimezone(UTC)
    assert in_utc.date() == date(2026, 12, 31)
    keys = [match_keys(estimated, SECRET, screened_on=local_day(moment)) for moment in (in_phnom_penh, in_utc)]
    assert keys[0] == keys[1] == match_keys(estimated, SECRET, screened_on=date(2027, 1, 1))


@pytest.mark.parametrize(
    ("age", "band"), [(0, AgeBand.UNDER_12), (17, AgeBand.TEEN), (18, AgeBand.YOUNG_ADULT), (50, AgeBand.OLDER)]
)
def test_age_bands(age: int, band: AgeBand) -> None:
    assert age_band(age) == band


def test_personal_data_is_readable_only_with_its_case_key() -> None:
    keys = CaseKeys(KeyRing(os.urandom(32)))
    wrapped = keys.new_wrapped_key("case-1")
    sealed = keys.encrypt(wrapped, "case-1", b"Sok Dara")
    assert b"Sok Dara" not in sealed
    assert keys.decrypt(wrapped, "case-1", sealed) == b"Sok Dara"
    with pytest.raises(InvalidTag):
        keys.decrypt(keys.new_wrapped_key("case-1"), "case-1", sealed)
    with pytest.raises(Unopenable):
        keys.decrypt(wrapped, "case-2", sealed)


SHARED_AT = datetime(2026, 11, 3, 9, tzinfo=UTC)
BY_CONSENT, BY_OVERRIDE = Grant(SHARED_AT, overrides_consent=False), Grant(SHARED_AT, overrides_consent=True)
GIVEN = LatestConsent(True, SHARED_AT - timedelta(days=1))
WITHDRAWN_BEFORE = LatestConsent(False, SHARED_AT - timedelta(hours=1))
WITHDRAWN_AFTER = LatestConsent(False, SHARED_AT + timedelta(hours=1))


@pytest.mark.parametrize(
    ("agency", "roles", "purpose", "grant", "consent", "granted"),
    [
        ("MOI-AHTJP", {"screener"}, "follow-up interview", None, None, True),
        ("NGO", {"screener"}, "follow-up interview", None, GIVEN, False),
        ("NGO", {"screener"}, "follow-up interview", BY_CONSENT, GIVEN, True),
        ("NGO", {"screener"}, "follow-up interview", BY_CONSENT, None, False),
        ("NGO", {"screener"}, "follow-up interview", BY_CONSENT, WITHDRAWN_AFTER, False),
        ("NGO", {"screener"}, "follow-up interview", BY_OVERRIDE, None, True),
        ("NGO", {"screener"}, "follow-up interview", BY_OVERRIDE, WITHDRAWN_BEFORE, True),
        ("NGO", {"screener"}, "follow-up interview", BY_OVERRIDE, WITHDRAWN_AFTER, False),
        ("MOI-AHTJP", {"screener"}, "follow-up interview", None, WITHDRAWN_AFTER, True),
        ("MOI-AHTJP", {"screener"}, None, None, None, False),
        ("MOI-AHTJP", {"screener"}, "why", None, None, False),
        ("MOSVY", {"determiner"}, "determination", None, WITHDRAWN_AFTER, True),
        ("MOI-AHTJP", {"analyst"}, "statistics", None, None, False),
    ],
)
def test_the_access_rule(
    agency: str,
    roles: set[str],
    purpose: str | None,
    grant: Grant | None,
    consent: LatestConsent | None,
    granted: bool,
) -> None:
    decision = may_read(agency=agency, roles=roles, purpose=purpose, owner="MOI-AHTJP", grant=grant, consent=consent)
    assert decision.granted is granted


@pytest.mark.parametrize(
    ("agency", "roles", "grant", "photo_read"),
    [
        ("MOI-AHTJP", {"screener"}, None, True),
        ("MOSVY", {"determiner"}, None, True),
        ("NGO", {"provider"}, BY_CONSENT, False),
        ("NGO", {"provider"}, Grant(SHARED_AT, overrides_consent=False, includes_photo=True), True),
    ],
)
def test_a_reader_by_share_sees_the_photo_only_where_the_share_includes_it(
    agency: str, roles: set[str], grant: Grant | None, photo_read: bool
) -> None:
    def rule(*, photo: bool) -> bool:
        return may_read(
            agency=agency, roles=roles, purpose="placement", owner="MOI-AHTJP", grant=grant, consent=GIVEN, photo=photo
        ).granted

    assert rule(photo=False) is True
    assert rule(photo=True) is photo_read


def test_an_erased_person_is_read_by_nobody_and_the_erasure_is_told_only_to_who_could_have_read() -> None:
    def after_erasure(agency: str, grant: Grant | None) -> tuple[bool, str]:
        decision = may_read(
            agency=agency, roles={"screener"}, purpose="court request", owner="MOI-AHTJP", grant=grant, consent=GIVEN
        )
        erased = unless_erased(decision, erased=True)
        return erased.granted, erased.reason

    assert after_erasure("MOI-AHTJP", None) == (False, ERASED)
    assert after_erasure("NGO", BY_CONSENT) == (False, ERASED)
    assert after_erasure("NGO", None) == (False, "not the owning agency and not shared with it")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("match_key_secret", "c2hvcnQ=", "shorter than 32 bytes"),
        ("previous_match_key_secrets", ["not base64!"], "not base64"),
    ],
)
def test_a_match_key_secret_pasted_wrong_stops_the_service_naming_it(field: str, value: object, rule: str) -> None:
    secrets = {"match_key_secret": base64.b64encode(os.urandom(32)).decode(), field: value}
    with pytest.raises(ValidationError) as refused:
        IdentificationSettings.model_validate(secrets)
    assert [error["msg"] for error in refused.value.errors() if error["loc"][0] == field] == [f"Value error, {rule}"]


@pytest.mark.parametrize(
    ("agency", "roles", "granted"),
    [
        ("MOSVY", {"determiner"}, True),
        ("MOSVY", {"case-worker"}, True),
        ("MOI-AHTJP", {"co-signer", "screener"}, True),
        ("MOI-IMMIGRATION", {"co-signer"}, False),
        ("MOI-AHTJP", {"screener"}, False),
        ("MOJ", {"court-clerk"}, False),
    ],
)
def test_a_determination_is_read_by_the_competent_authority_and_the_police_who_co_sign_it(
    agency: str, roles: set[str], granted: bool
) -> None:
    decision = may_read_determination(
        agency=agency, roles=roles, purpose="before co-signing", co_signing_agency="MOI-AHTJP"
    )
    without_purpose = may_read_determination(agency=agency, roles=roles, purpose="  ", co_signing_agency="MOI-AHTJP")

    assert decision.granted is granted
    assert not without_purpose.granted


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("erasure at the request of SOK  dara, 2026-12-01", True),
        ("the person's own request of 2026-12-01", False),
        ("passport N0123456 seen by the court", True),
        ("the passport was never found", False),
        ("her brother on +855 12 345 678 cannot take her in", True),
        ("born 1998-04-01, so the court ordered it", True),
        ("Phnom Penh court order 123/2026", False),
    ],
)
def test_a_justification_names_the_person_when_it_writes_their_name_birth_date_document_or_contact(
    text: str, named: bool
) -> None:
    person = Person.model_validate(
        {
            "names": ["Sok Dara"],
            "birth_date": "1998-04-01",
            "sex": "male",
            "nationality": "KHM",
            "contacts": ["+855 12 345 678"],
            "documents": ["passport N0123456"],
        }
    )
    assert person.named_in(text) is named
