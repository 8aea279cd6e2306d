"""Records for research: one row per person whose consent to research is in force, in the statistics'
coarse codes and without any id, released under k-anonymity (domain/anonymity.py). Consent is recorded
per case; a person reported by several agencies is in the records while the latest consent to research
recorded for any of their cases is given."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from typing import get_args

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import purpose_stated
from spean_contracts.vocabulary import Outcome
from spean_kit.auth import Principal
from spean_kit.errors import purpose_required
from spean_registry import audit
from spean_registry.adapters.tables import CaseFacts
from spean_registry.api.schemas import ResearchRecord, ResearchRecords
from spean_registry.domain.anonymity import k_anonymous
from spean_registry.domain.retrafficking import identified_again
from spean_registry.settings import Describing

# A person found a victim by one agency and a vulnerable person by another is in the records as a victim.
_GRAVEST = (Outcome.TRAFFICKING_VICTIM, Outcome.VULNERABLE_PERSON, Outcome.NOT_TRAFFICKED)


def consents(cases: Sequence[CaseFacts]) -> bool:
    """Whether the latest consent to research recorded for any of the person's cases is given; of two
    recorded at the same moment, the withdrawal is in force."""
    recorded = [case for case in cases if case.research_consent_at is not None]
    if not recorded:
        return False
    latest = max(recorded, key=lambda case: (case.research_consent_at, not case.research_consent))
    return bool(latest.research_consent)


def record_of(cases: Sequence[CaseFacts]) -> ResearchRecord:
    """One person's record from the reports linked into their national record: who they were as first
    reported, what any report found, and what befell them in every agency."""
    first = min(cases, key=lambda case: (case.year is None, case.year or 0, case.case_id))
    outcomes = {case.outcome for case in cases}
    first_referred = _earliest(cases, lambda case: case.referred_at)
    first_returned = _earliest(cases, lambda case: case.repatriated_at)
    return ResearchRecord(
        year=first.year,
        province=first.province,
        sex=first.sex,
        age_band=first.age_band,
        nationality=first.nationality,
        encounter=first.encounter,
        continuum=first.continuum,
        outcome=next((outcome for outcome in _GRAVEST if outcome in outcomes), None),
        identified_again=identified_again(
            case.identified_at for case in cases if case.identified and case.identified_at
        ),
        exploitation_types=sorted(set(chain.from_iterable(case.exploitation_types for case in cases))),
        referred=any(case.referred for case in cases),
        days_to_placement=first_referred.placement_wait if first_referred else None,
        care_outcomes=sorted(chain.from_iterable(case.care_outcomes for case in cases)),
        unmet_needs=sorted(chain.from_iterable(case.gap_needs for case in cases)),
        breached_deadlines=sorted(chain.from_iterable(case.breached_deadlines for case in cases)),
        repatriated=any(case.repatriated for case in cases),
        returned_to=first_returned.returned_to if first_returned else None,
        days_to_return=first_returned.return_wait if first_returned else None,
        prosecuted=any(case.prosecuted for case in cases),
        convicted=any(case.convicted for case in cases),
    )


def _earliest(cases: Sequence[CaseFacts], at: Callable[[CaseFacts], datetime | None]) -> CaseFacts | None:
    """The case whose moment `at` came first, of those that have one."""
    dated = [(when, case.case_id, case) for case in cases if (when := at(case)) is not None]
    return min(dated, key=lambda found: found[:2])[2] if dated else None


async def records(
    session: AsyncSession, principal: Principal, purpose: str | None, k: int, known: Sequence[Describing]
) -> ResearchRecords:
    """The records of the persons consenting to research. Of what describes who a person is and where, they
    hold the `known` quasi-identifiers alone, each record's shared by k records or more."""
    if not purpose_stated(purpose):
        raise purpose_required("state what research the records are for (purpose)")
    consenting = select(CaseFacts.national_record_id).where(col(CaseFacts.research_consent_at).is_not(None))
    cases = (await session.exec(select(CaseFacts).where(col(CaseFacts.national_record_id).in_(consenting)))).all()
    persons: defaultdict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        persons[case.national_record_id].append(case)
    left_out = dict.fromkeys(set(get_args(Describing)) - set(known))
    # Sorted by what they hold: an order by id or by time would tie a row to the registry's records.
    candidates = sorted(
        (record_of(reported).model_copy(update=left_out) for reported in persons.values() if consents(reported)),
        key=lambda record: record.model_dump_json(),
    )
    released = k_anonymous(candidates, lambda record: tuple(getattr(record, name) for name in known), k)
    await audit.record(session, principal, "research-records-read", "research-records", purpose)
    return ResearchRecords(k=k, quasi_identifiers=list(known), withheld=released.withheld, records=released.records)
