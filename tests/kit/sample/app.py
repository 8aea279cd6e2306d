"""A minimal service built on the kit, for testing the kit against the real servers.

POST /cases records a case and stages `case.identified` in the outbox, in one transaction; its
consumer applies each event to `sample_effect`. GET /cases/{case_id} is a read recorded in an audit
trail. Handlers fail on purpose for case ids starting with
`fail-`, so retries and dead letters can be observed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.trace.export import SpanExporter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime
from sqlalchemy.dialects import postgresql
from sqlmodel import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent, spec_for_model
from spean_contracts.events import CaseIdentified
from spean_contracts.fields import CaseId
from spean_contracts.registry import IDENTIFICATION
from spean_contracts.vocabulary import AgeBand, Province, Sex
from spean_kit import audit
from spean_kit.auth import Principal, require_roles
from spean_kit.consumer import Subscription
from spean_kit.outbox import Stager
from spean_kit.service import ServiceDefinition, create_app, runtime_of
from spean_kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).with_name("migrations")
cases = sa.table("sample_case", sa.column("case_id"))
# A batch's effects in one statement, an array per column, as a service's batch handler would write
# them (executemany costs SQLAlchemy and asyncpg a round of checks per row).
APPLY = sa.text("INSERT INTO sample_effect (case_id, event_id) SELECT * FROM unnest(:case_ids, :event_ids)").bindparams(
    sa.bindparam("case_ids", type_=postgresql.ARRAY(sa.String)),
    sa.bindparam("event_ids", type_=postgresql.ARRAY(sa.String)),
)
router = APIRouter()


class NewCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: CaseId
    province: Province
    sex: Sex
    age_band: AgeBand


class SampleRead(audit.ChainedEntry, table=True):
    __tablename__ = "sample_read"
    case_id: str = Field(max_length=64)
    subject: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def case_identified(case_id: str, province: Province = Province.BANTEAY_MEANCHEY) -> CaseIdentified:
    example = spec_for_model(CaseIdentified).examples[0]
    return CaseIdentified.model_validate(
        {**example, "case_id": case_id, "province": province, "identified_at": datetime.now(UTC)}
    )


@router.post("/cases", status_code=201)
async def create_case(
    body: NewCase, request: Request, principal: Annotated[Principal, Depends(require_roles("screener"))]
) -> dict[str, str]:
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        await session.exec(sa.insert(cases).values(case_id=body.case_id))
        await runtime.stage(session, case_identified(body.case_id, body.province))
    return {"case_id": body.case_id, "recorded_by": principal.agency or ""}


@router.get("/cases/{case_id}")
async def read_case(
    case_id: CaseId, request: Request, principal: Annotated[Principal, Depends(require_roles("screener"))]
) -> dict[str, str]:
    async with runtime_of(request).sessions() as session, session.begin():
        await audit.append(session, SampleRead(case_id=case_id, subject=principal.subject, at=datetime.now(UTC)))
    return {"case_id": case_id}


async def apply(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    await apply_many(session, [event], stage)


async def apply_many(session: AsyncSession, events: list[CloudEvent], stage: Stager) -> None:
    if any(event.subject.startswith("fail-") for event in events):
        raise RuntimeError("this sample handler refuses fail- cases")
    await session.execute(APPLY, {"case_ids": [e.subject for e in events], "event_ids": [e.id for e in events]})


def build(
    settings: ServiceSettings,
    *,
    span_exporters: tuple[SpanExporter, ...] = (),
    metric_readers: tuple[MetricReader, ...] = (),
    background: bool = True,
) -> FastAPI:
    return create_app(
        ServiceDefinition(
            title="kit sample",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[router, audit.verification_router(SampleRead, "sample")],
            workers=[audit.watch(SampleRead, settings.audit_check_seconds)],
            owns=[IDENTIFICATION],
            subscriptions=[Subscription((IDENTIFICATION.name,), apply, batch_handler=apply_many)],
            span_exporters=span_exporters,
            metric_readers=metric_readers,
            run_background=background,
        )
    )
