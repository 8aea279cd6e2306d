"""Records for research: one row per person whose consent to research is in force, in the statistics'
coarse codes and without any id, released under k-anonymity (domain/anonymity.py). Consent is recorded
per case; a person reported by several agencies is in the records while the latest consent to research
recorded for any of their cases is given."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any, NamedTuple, get_args

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import purpose_stated
from spean_contracts.vocabulary import Outcome
from spean_kit.auth import Principal
from spean_kit.errors import purpose_required
from spean_registry import audit
from spean_registry.adapters.tables import CaseFacts
from spean_registry.api.schemas import ResearchRecord, ResearchRecords
from spean_registry.domain.anonymity import Released, k_anonymous
from spean_registry.domain.consents import precedence
from spean_registry.domain.retrafficking import identified_again
from spean_registry.settings import Describing

# A person found a victim by one agency and a vulnerable person by another is in the records as a victim.
_GRAVEST = (Outcome.TRAFFICKING_VICTIM, Outcome.VULNERABLE_PERSON, Outcome.NOT_TRAFFICKED)


class Report(NamedTuple):
    """One agency's report of a person: the facts of a case that research records are made of."""

    case_id: str
    year: int | None = None
    province: str | None = None
    sex: str | None = None
    age_band: str | None = None
    nationality: str | None = None
    encounter: str | None = None
    continuum: str | None = None
    outcome: str | None = None
    identified: bool = False
    identified_at: datetime | None = None
    exploitation_types: Sequence[str] = ()
    referred: bool = False
    referred_at: datetime | None = None
    placement_wait: str | None = None
    care_outcomes: Sequence[str] = ()
    gap_needs: Sequence[str] = ()
    breached_deadlines: Sequence[str] = ()
    repatriated: bool = False
    repatriated_at: datetime | None = None
    returned_to: str | None = None
    return_wait: str | None = None
    prosecuted: bool = False
    convicted: bool = False
    research_consent: bool | None = None
    research_consent_at: datetime | None = None


# A report's columns alone: reading whole rows as objects cost seconds of the event loop for a national extract.
_REPORTED = [getattr(CaseFacts, name) for name in Report._fields]


def consents(cases: Sequence[Report]) -> bool:
    """Whether the consent to research in force, of those recorded for any of the person's cases, is given
    (domain/consents.py)."""
    recorded = [
        (case.research_consent_at, bool(case.research_consent))
        for case in cases
        if case.research_consent_at is not None
    ]
    latest = max(recorded, key=precedence, default=None)
    return latest is not None and latest[1]


def record_of(cases: Sequence[Report]) -> ResearchRecord:
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


def _earliest(cases: Sequence[Report], at: Callable[[Report], datetime | None]) -> Report | None:
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
    # A national extract is seconds of work, which would hold back the registry's consumers and every other
    # request meanwhile: its rows are read a few thousand at a time, and made records off the event loop.
    reported = await session.stream(
        select(CaseFacts.national_record_id, *_REPORTED).where(col(CaseFacts.national_record_id).in_(consenting))
    )
    rows = [row async for partition in reported.partitions(2000) for row in partition]
    released = await asyncio.to_thread(_released, rows, k, known)
    await audit.record(session, principal, "research-records-read", "research-records", purpose)
    return ResearchRecords(k=k, quasi_identifiers=list(known), withheld=released.withheld, records=released.records)


def _released(rows: Sequence[Sequence[Any]], k: int, known: Sequence[Describing]) -> Released[ResearchRecord]:
    """The records of the persons the rows (each a national record id, then a report) tell of, as released."""
    persons: defaultdict[str, list[Report]] = defaultdict(list)
    for national_record_id, *report in rows:
        persons[national_record_id].append(Report(*report))
    left_out = dict.fromkeys(set(get_args(Describing)) - set(known))
    # Sorted by what they hold: an order by id or by time would tie a row to the registry's records.
    candidates = sorted(
        (record_of(reported).model_copy(update=left_out) for reported in persons.values() if consents(reported)),
        key=lambda record: record.model_dump_json(),
    )
    return k_anonymous(candidates, lambda record: tuple(getattr(record, name) for name in known), k)
