"""Statistics that protect identity: counts of distinct national records (a person reported by three
agencies counts once), by a whitelist of coarse dimensions, with small-cell suppression applied to
every cell and to every total. The court figures count court cases instead, by the year of the court's
decision, as the courts' yearly figures do: `court_cases` before a court that year and, of them,
`court_convictions`, `court_settlements`, `court_absconded` (a defendant absconded), and
`court_restitution_ordered` and `court_restitution_paid` (in full), which show how rarely it is."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.errors import invalid_field
from spean_registry.domain.retrafficking import AGAIN_AFTER
from spean_registry.domain.suppression import Published, suppress


class Dimension(StrEnum):
    YEAR = "year"
    PROVINCE = "province"
    EXPLOITATION_TYPE = "exploitation_type"
    SEX = "sex"
    AGE_BAND = "age_band"
    NATIONALITY = "nationality"
    OUTCOME = "outcome"
    AGENCY = "agency"
    ENCOUNTER = "encounter"
    """How the latest screening met the person: where victims are found, and where by chance."""
    CONTINUUM = "continuum"
    """The latest screening's situation, A (forced) to F (voluntary): by `outcome`, where consent is misjudged."""
    RETURNED_TO = "returned_to"
    """Of repatriated persons: the country returned to (Cambodians home, or others home from Cambodia)."""
    DEADLINE = "deadline"
    """Of deadline breaches: the deadline missed (domain/deadlines.py)."""
    NEED = "need"
    """Of service gaps: the service nobody in the directory could provide."""
    CARE_OUTCOME = "care_outcome"
    """Of care closures: how care ended (reintegrated, re-trafficked, lost contact, ...)."""
    DAYS_TO_PLACEMENT = "days_to_placement"
    """Of referred persons: days from identification to the first placement, in bands (domain/waits.py)."""
    DAYS_TO_RETURN = "days_to_return"
    """Of repatriated persons: days from the first return request to the handover, in bands."""
    COURT_PROVINCE = "court_province"
    """Of court cases: the province of the court."""
    CHARGE_CATEGORY = "charge_category"
    """Of court cases: the most serious charge, trafficking, rape or other."""
    SENTENCE = "sentence"
    """Of court cases: the prison sentence's band, against the law's ranges (domain/sentences.py)."""


class Measure(StrEnum):
    SCREENED = "screened"
    IDENTIFIED = "identified"
    IDENTIFIED_AGAIN = "identified_again"
    """Persons identified as victims in a case who had been identified in another long enough before."""
    REFERRED = "referred"
    REPATRIATED = "repatriated"
    PROSECUTED = "prosecuted"
    CONVICTED = "convicted"
    SERVICE_GAPS = "service_gaps"
    DEADLINE_BREACHES = "deadline_breaches"
    CARE_CLOSURES = "care_closures"
    COURT_CASES = "court_cases"
    COURT_CONVICTIONS = "court_convictions"
    COURT_SETTLEMENTS = "court_settlements"
    COURT_ABSCONDED = "court_absconded"
    COURT_RESTITUTION_ORDERED = "court_restitution_ordered"
    COURT_RESTITUTION_PAID = "court_restitution_paid"


_COLUMN = {
    Dimension.YEAR: "f.year::text",
    Dimension.PROVINCE: "f.province",
    Dimension.EXPLOITATION_TYPE: "x.type",
    Dimension.SEX: "f.sex",
    Dimension.AGE_BAND: "f.age_band",
    Dimension.NATIONALITY: "f.nationality",
    Dimension.OUTCOME: "f.outcome",
    Dimension.AGENCY: "f.agency",
    Dimension.ENCOUNTER: "f.encounter",
    Dimension.CONTINUUM: "f.continuum",
    Dimension.RETURNED_TO: "f.returned_to",
}
# Measures that count items listed on the person's facts (each breach, gap, closure of care), not persons: by
# its dimension, each item is a row; otherwise the lists' lengths are summed.
_LISTED = {
    Measure.DEADLINE_BREACHES: (Dimension.DEADLINE, "f.breached_deadlines"),
    Measure.SERVICE_GAPS: (Dimension.NEED, "f.gap_needs"),
    Measure.CARE_CLOSURES: (Dimension.CARE_OUTCOME, "f.care_outcomes"),
}
# Dimensions of one measure: a year's screenings and returns are counted in it, whenever the persons were
# identified; the waits are those of referred and of repatriated persons; each breach, gap and closure of care
# is an item.
_COLUMN_OF = {
    Measure.SCREENED: {Dimension.YEAR: "f.screened_year::text"},
    Measure.REPATRIATED: {Dimension.YEAR: "f.repatriated_year::text", Dimension.DAYS_TO_RETURN: "f.return_wait"},
    Measure.REFERRED: {Dimension.DAYS_TO_PLACEMENT: "f.placement_wait"},
    **{measure: {dimension: "l.item"} for measure, (dimension, _) in _LISTED.items()},
}
_FILTER = {
    Measure.SCREENED: "f.screened",
    Measure.IDENTIFIED: "f.identified",
    Measure.IDENTIFIED_AGAIN: (
        "f.identified AND EXISTS (SELECT FROM case_facts earlier WHERE earlier.national_record_id ="
        f" f.national_record_id AND earlier.identified AND earlier.identified_at <= f.identified_at - interval"
        f" '{AGAIN_AFTER.days} days')"
    ),
    Measure.REFERRED: "f.referred",
    Measure.REPATRIATED: "f.repatriated",
    Measure.PROSECUTED: "f.prosecuted",
    Measure.CONVICTED: "f.convicted",
}
_COURT_COLUMN = {
    Dimension.YEAR: "c.year::text",
    Dimension.COURT_PROVINCE: "c.court_province",
    Dimension.CHARGE_CATEGORY: "c.category",
    Dimension.SENTENCE: "c.sentence",
}
_COURT_FILTER = {
    Measure.COURT_CASES: "true",
    Measure.COURT_CONVICTIONS: "c.verdict = 'convicted'",
    Measure.COURT_SETTLEMENTS: "(c.settlement OR c.verdict = 'settled')",
    Measure.COURT_ABSCONDED: "c.absconded",
    Measure.COURT_RESTITUTION_ORDERED: "c.restitution_ordered",
    Measure.COURT_RESTITUTION_PAID: "c.restitution_paid",
}


async def count(session: AsyncSession, measure: Measure, by: Sequence[Dimension], k: int) -> Published:
    if measure in _COURT_FILTER:
        source, value, where = "court_year c", "count(DISTINCT c.court_case_id)", _COURT_FILTER[measure]
        columns = [_dimension(_COURT_COLUMN, d, "of court cases") for d in by]
    else:
        join = (
            " CROSS JOIN LATERAL jsonb_array_elements_text(f.exploitation_types) AS x(type)"
            if Dimension.EXPLOITATION_TYPE in by
            else ""
        )
        dimension, listed = _LISTED.get(measure, (None, ""))
        itemised = dimension in by
        if itemised:
            join += f" CROSS JOIN LATERAL jsonb_array_elements_text({listed}) AS l(item)"
        source = f"case_facts f{join}"
        value = "count(*)" if itemised else _persons_value(measure)
        where = "true" if measure in _LISTED else _FILTER[measure]
        columns = [_dimension(_COLUMN | _COLUMN_OF.get(measure, {}), d, "of persons") for d in by]
    selected = ", ".join([*(f"coalesce({c}, 'unknown')" for c in columns), value])
    grouping = f" GROUP BY {', '.join(str(i) for i in range(1, len(columns) + 1))}" if columns else ""
    # Only whitelisted column expressions are interpolated; nothing from the request reaches the SQL text.
    query = sa.text(f"SELECT {selected} FROM {source} WHERE {where}{grouping}")  # noqa: S608
    rows = (await session.execute(query)).all()
    counts = {tuple(str(v) for v in row[:-1]): int(row[-1] or 0) for row in rows}
    return suppress(counts, k)


def _persons_value(measure: Measure) -> str:
    if measure in _LISTED:
        return f"sum(jsonb_array_length({_LISTED[measure][1]}))"
    return "count(DISTINCT f.national_record_id)"


def _dimension(columns: dict[Dimension, str], dimension: Dimension, counted: str) -> str:
    if dimension not in columns:
        raise invalid_field(
            "query.by",
            "dimension_of_measure",
            f"'{dimension}' is not a dimension {counted}; use one of: {', '.join(columns)}",
        )
    return columns[dimension]
