"""The registry's HTTP API: court outcomes, case timelines, national records, statistics, the audit."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlmodel import col, select

from spean_contracts.fields import CaseId, LocalId
from spean_kit import audit
from spean_kit.auth import Principal, require_roles
from spean_kit.pages import PAGED_HEADERS, Keyset, PageOf
from spean_kit.service import runtime_of
from spean_registry import courts, records, research
from spean_registry.adapters.tables import AuditEntry
from spean_registry.api.schemas import (
    AuditEntryOut,
    CourtOutcomeIn,
    MergeIn,
    PersonTimeline,
    Record,
    ResearchRecord,
    ResearchRecords,
    SplitIn,
    Statistics,
    StatisticsCell,
    Timeline,
)
from spean_registry.settings import RegistrySettings
from spean_registry.statistics import Dimension, Measure, count

router = APIRouter(tags=["registry"])
Clerk = Annotated[Principal, Depends(require_roles("court-clerk"))]
Analyst = Annotated[Principal, Depends(require_roles("analyst"))]
Auditor = Annotated[Principal, Depends(require_roles("auditor"))]
Authenticated = Annotated[Principal, Depends(require_roles(*records.TIMELINE_ROLES, "provider", "analyst"))]
CaseReader = Annotated[Principal, Depends(require_roles(*records.TIMELINE_ROLES))]
TimelinePurpose = Annotated[
    str | None, Query(max_length=200, description="Why the timeline is read, in five characters or more; audited.")
]
PURPOSE_REQUIRED: dict[int | str, dict[str, Any]] = {
    422: {"description": "Without a purpose of five characters or more: rule `purpose_required`."}
}


Format = Annotated[str, Query(pattern="^(json|csv)$", description="`csv` for a spreadsheet.")]


def _or_csv(lines: str, example: str) -> dict[int | str, dict[str, Any]]:
    """The documented answer of a route that answers in JSON, or in CSV with `format=csv`."""
    return {
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}, "example": example}},
            "description": f"As JSON, or with `format=csv` as CSV: {lines}",
        }
    }


def _csv(rows: Iterable[Iterable[object]]) -> PlainTextResponse:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return PlainTextResponse(out.getvalue(), media_type="text/csv")


@router.post("/court-outcomes", status_code=201)
async def record_court_outcome(body: CourtOutcomeIn, request: Request, principal: Clerk) -> dict[str, str]:
    """A court's decision: charges with their article and category, verdict, sentence, settlement,
    restitution ordered and paid, abscondment. Publishes the court-outcome event, and `case.prosecuted`
    when the verdict is new. A later decision of a court case already recorded (the verdict of a pending
    case, an appeal, restitution paid since) becomes its state; an earlier one, or a repeat, gets 409."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        await courts.record_outcome(session, runtime, principal, body)
    return {"court_case_id": body.court_case_id, "case_id": body.case_id}


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Timeline,
    responses=PURPOSE_REQUIRED,
)
async def read_timeline(
    case_id: CaseId, request: Request, principal: Authenticated, purpose: TimelinePurpose = None
) -> Timeline:
    async with runtime_of(request).sessions() as session, session.begin():
        return await records.timeline(session, principal, case_id, purpose)


@router.get("/records", response_model=list[Record], responses={200: {"headers": PAGED_HEADERS}})
async def list_national_records(
    request: Request,
    response: Response,
    principal: Analyst,
    page: PageOf,
    certainty: Annotated[
        Literal["probable"] | None,
        Query(description="`probable`: only the records holding a report linked by a looser key, to review."),
    ] = None,
) -> list[Record]:
    """National records by id, a page at a time (follow the `Link` header), each with the cases linked into
    it and what each report says of the person in codes (agency, year, province, sex, age band,
    nationality). With `certainty=probable`, the analysts' queue: records where reports were linked by
    names and birth year, or an estimated age, alone, for an analyst to confirm (`POST /records/merge`,
    which makes the links certain) or take a report out (`POST /records/split`). No personal data."""
    async with runtime_of(request).sessions() as session:
        return await records.listed(session, certainty == "probable", page, request, response)


@router.get("/records/{national_record_id}", response_model=Record)
async def read_national_record(national_record_id: LocalId, request: Request, principal: Analyst) -> Record:
    """Which source cases make up a national record, and how certain each link is. No personal data."""
    async with runtime_of(request).sessions() as session:
        return await records.record_of(session, national_record_id)


@router.get(
    "/records/{national_record_id}/timeline",
    response_model=PersonTimeline,
    responses=PURPOSE_REQUIRED,
)
async def read_person_timeline(
    national_record_id: LocalId, request: Request, principal: CaseReader, purpose: TimelinePurpose = None
) -> PersonTimeline:
    """One person's history across agencies and cases, in the order it happened: each event of every case
    linked into their national record (the `national_record_id` of a case's timeline), named with its case,
    so that an earlier exploitation, care or return reported under another case is seen with this one. A
    report linked by names and birth year, or an estimated age, alone is `probable` among the `links`: its
    events may be another person's until an analyst confirms or splits it. For the roles that work on
    cases; a provider reads the timeline of the case it cares for. One audit entry names every case read."""
    async with runtime_of(request).sessions() as session, session.begin():
        return await records.person_timeline(session, principal, national_record_id, purpose)


@router.post("/records/merge", response_model=Record)
async def merge_records(body: MergeIn, request: Request, principal: Analyst) -> Record:
    async with runtime_of(request).sessions() as session, session.begin():
        record_id = await records.decide(session, principal, "merge", list(body.case_ids), body.reason)
        return await records.record_of(session, record_id)


@router.post("/records/split", response_model=Record)
async def split_records(body: SplitIn, request: Request, principal: Analyst) -> Record:
    async with runtime_of(request).sessions() as session, session.begin():
        record_id = await records.decide(session, principal, "split", [body.case_id], body.reason)
        return await records.record_of(session, record_id)


@router.get(
    "/statistics",
    response_model=Statistics,
    responses=_or_csv(
        "a header, one line per cell, then the total.", "province,identified\nKH-1,14\nKH-12,suppressed\ntotal,31\n"
    ),
)
async def read_statistics(
    request: Request,
    principal: Authenticated,
    measure: Measure = Measure.IDENTIFIED,
    by: Annotated[list[Dimension], Query()] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    format: Format = "json",
) -> Statistics | PlainTextResponse:
    """Counts of persons (distinct national records), suppressed below k in every cell and total, and so is a
    cell that the total and the cells shown would give away, or a row's total (by fewer dimensions) and the
    row's cells shown; their `year` is the year, in Cambodia (UTC+07:00), the person was identified, or else
    screened, but `screened` counts persons by the year of their first screening and `repatriated` by the year
    they were first handed over. Persons are counted by `encounter`, how the latest screening met them, and
    `continuum`, its situation from `A` (forced) to `F` (voluntary), which beside `outcome` shows where
    officers judge consent otherwise than the competent authority. `identified_again` counts the persons
    identified as victims in a case, by its year, who had been identified in another case 90 days or more
    before: trafficked again, where two reports of one exploitation come within weeks of each other.
    `deadline_breaches` counts breaches, and
    `by=deadline` says which deadline each missed: identification's `screening`, `determination` and
    `co-signature`, referral's `provider-response`, `follow-up`, `monitoring-visit` and `placement`, the
    SOP's `verification`, `handover-notice`, `receipt`, `handover` and `certificate`; `service_gaps` counts
    needs nobody in the directory could meet, and `by=need` says which (`shelter`, `legal`, ...);
    `care_closures` counts closures of care by their providers, and `by=care_outcome` says how care ended
    (`reintegrated`, `re-trafficked`, `lost-contact`, ...); `referred` by
    `days_to_placement` says how long persons waited between identification and the first provider's
    acceptance, in days, each band over its lower bound and up to its upper one: `0-2`, `2-7`, `7-30` or
    `over-30`; `repatriated` by `days_to_return` how long from the first return request to the handover:
    `0-30`, `30-60`, `60-90` or `over-90`. The court figures, `court_cases` (before a court that year) and
    `court_convictions`, count court cases by the year of the court's decision, by `year`, `court_province`,
    `charge_category` (the most serious charge) or `sentence`: `none` (no prison), `under-7-years` (below the
    least the 2008 law sets for trafficking), `7-to-15-years` (its range for an adult victim),
    `15-to-20-years` (for a child, 15 years exactly included) or `over-20-years`."""
    settings: RegistrySettings = request.app.state.settings
    async with runtime_of(request).sessions() as session:
        published = await count(session, measure, by, settings.small_cell_threshold)
    cells = [
        StatisticsCell(key=dict(zip([str(d) for d in by], cell, strict=True)), count=value)
        for cell, value in sorted(published.cells.items())
    ]
    result = Statistics(
        measure=measure,
        by=[str(d) for d in by],
        k=settings.small_cell_threshold,
        total=published.total,
        suppressed_cells=published.suppressed,
        cells=cells,
    )
    if format == "csv":
        label = ["total", *[""] * (len(result.by) - 1)]
        return _csv(
            [
                [*result.by, measure],
                *([*cell.key.values(), "suppressed" if cell.count is None else cell.count] for cell in cells),
                [*label, "suppressed" if result.total is None else result.total],
            ]
        )
    return result


@router.get(
    "/research/records",
    response_model=ResearchRecords,
    responses={
        **_or_csv(
            "a header, then a line per record; a list's items are joined by `;`.",
            "year,province,sex,...,convicted\n2025,,female,...,false\n",
        ),
        **PURPOSE_REQUIRED,
    },
)
async def read_research_records(
    request: Request,
    principal: Analyst,
    purpose: Annotated[
        str | None,
        Query(max_length=200, description="The research the records are for, in five characters or more; audited."),
    ] = None,
    format: Format = "json",
) -> Response:
    """Records for research, one per person whose latest consent to research (`POST
    /cases/{case_id}/consents` in identification, purpose `research`) is given: in the statistics' codes,
    with no name, date, id or free text, in an order that follows their content alone. Of when and where
    the person was found and who they are, a record holds only its `quasi_identifiers` (the year, sex, age
    band and nationality unless the registry is configured otherwise; no province), and is released only
    where at least k records share them, so that nobody who knows those of a person can tell which record
    is theirs; `withheld` says how many consenting persons that keeps back. Each extract is in the audit
    trail with its purpose."""
    settings: RegistrySettings = request.app.state.settings
    async with runtime_of(request).sessions() as session, session.begin():
        extract = await research.records(
            session, principal, purpose, settings.small_cell_threshold, settings.research_quasi_identifiers
        )
    # Written off the event loop, and as JSON by pydantic itself: a national extract is megabytes, which
    # FastAPI's own encoding took half a second of the loop to write.
    if format == "csv":
        return await asyncio.to_thread(_research_csv, extract)
    return Response(await asyncio.to_thread(extract.model_dump_json), media_type="application/json")


def _research_csv(extract: ResearchRecords) -> PlainTextResponse:
    rows = ([_csv_cell(value) for value in record.model_dump().values()] for record in extract.records)
    return _csv([list(ResearchRecord.model_fields), *rows])


def _csv_cell(value: object) -> object:
    """A list's items joined by `;`, a truth as `true` or `false`, nothing as an empty cell."""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value


AUDITED = Keyset((col(AuditEntry.id),))


@router.get("/audit", response_model=list[AuditEntryOut], responses={200: {"headers": PAGED_HEADERS}})
async def read_audit(
    request: Request,
    response: Response,
    auditor: Auditor,
    page: PageOf,
    narrowing: audit.Narrowed,
    case_id: Annotated[CaseId | None, Query(description="Only the entries about this case.")] = None,
) -> list[AuditEntryOut]:
    """Every entry of the registry's audit trail (timelines read, national records merged or split,
    court decisions recorded, research records read), oldest first, a page at a time (follow the `Link` header)."""
    query = audit.narrowed(select(AuditEntry), AuditEntry, narrowing)
    if case_id is not None:
        query = query.where(sa.literal(case_id) == sa.any_(sa.func.string_to_array(col(AuditEntry.target), ",")))
    async with runtime_of(request).sessions() as session:
        shown = await AUDITED.read(session, query, page, request, response)
    return [AuditEntryOut.model_validate(row, from_attributes=True) for row in shown]
