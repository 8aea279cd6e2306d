"""Corrections of a screened person's data: recorded wrong (a name mistyped, a birth date misread), set right by
the agency that screened them or by the competent authority, and told to the services that keep the case's
profile and its match keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import ScreeningCorrected
from spean_contracts.fields import local_day
from spean_contracts.vocabulary import AgeBand, Country, Outcome, Province, Sex
from spean_identification import ages
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import CaseKey
from spean_identification.api.schemas import PersonCorrected, PersonCorrection
from spean_identification.domain.access import owner_or_authority
from spean_identification.domain.matchkeys import generation, match_keys
from spean_identification.domain.person import CHILD_UNTIL, age_band
from spean_identification.screenings import (
    audited,
    contract_agency,
    erased,
    private_of,
    screening_of,
    suggest_again,
)
from spean_identification.settings import IdentificationSettings
from spean_kit import audit
from spean_kit.auth import Forbidden, Principal
from spean_kit.service import Runtime

CORRECTED = "person's data corrected"


async def correct(
    session: AsyncSession,
    runtime: Runtime,
    settings: IdentificationSettings,
    keys: CaseKeys,
    principal: Principal,
    screening_id: str,
    body: PersonCorrection,
) -> PersonCorrected:
    """Replace the screening's person with the corrected one, sealed as before; the place and the notes stay.
    The profile follows the correction, except that an age the competent authority assessed still decides
    the age; so does the suggested outcome, by the person's age when they were met. Audited with its coded
    reason."""
    screening = await screening_of(session, screening_id)
    if not owner_or_authority(agency=principal.agency, roles=principal.roles, owner=screening.agency):
        raise Forbidden("the person's data is corrected by the agency that screened them, or the competent authority")
    wrapped = await session.get(CaseKey, screening.case_id)
    if wrapped is None:
        raise erased()
    now = datetime.now(UTC)
    person = body.person
    met_on = local_day(screening.encountered_at)
    age = person.age_taken_on(met_on, met_on=met_on)
    private = private_of(keys, wrapped.wrapped_key, screening) | {"person": person.model_dump(mode="json")}
    screening.personal_data = keys.encrypt(wrapped.wrapped_key, screening.case_id, json.dumps(private).encode())
    screening.sex, screening.nationality = person.sex, person.nationality
    screening.age_band, screening.is_child = age_band(age), age < CHILD_UNTIL
    secret = settings.match_secret_bytes
    screening.match_key_generation = generation(secret)
    assessed = await ages.latest(session, screening.case_id)
    aged = assessed or screening
    by_assessment = None if assessed is None else ages.assessed_age(keys, wrapped.wrapped_key, assessed)
    suggest_again(
        screening, child_when_met=person.age_taken_on(met_on, met_on=met_on, assessed=by_assessment) < CHILD_UNTIL
    )
    session.add(screening)
    await audit.append(session, audited(principal, screening_id, now, str(body.reason), CORRECTED))
    corrected = ScreeningCorrected(
        case_id=screening.case_id,
        screening_id=screening_id,
        province=Province(screening.province),
        sex=Sex(screening.sex),
        age_band=AgeBand(aged.age_band),
        nationality=Country(screening.nationality),
        is_child=aged.is_child,
        match_keys=match_keys(person, secret, screened_on=met_on),
        reason=body.reason,
        agency=contract_agency(principal.agency or ""),
        corrected_at=now,
    )
    await runtime.stage(session, corrected)
    return PersonCorrected(
        screening_id=screening_id,
        case_id=screening.case_id,
        sex=corrected.sex,
        age_band=corrected.age_band,
        nationality=corrected.nationality,
        is_child=corrected.is_child,
        suggested_outcome=Outcome(screening.suggested_outcome),
        reasons=screening.reasons,
        reason=body.reason,
        corrected_at=now,
    )
