"""Reintegration forms: filed by the provider caring for the person (or MoSVY's case workers) while the
person is in its care, and read by them. A filing locks the case and the referral as a stage change does,
so that a move into a stage sees every form filed before it. A monitoring visit sets when the next is due."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import INDOCHINA, local_day
from spean_contracts.vocabulary import ReintegrationStage
from spean_kit.auth import Principal
from spean_kit.errors import Problem, invalid_field
from spean_referral.adapters.tables import FiledForm, Referral
from spean_referral.api.schemas import (
    AssessmentForm,
    FiledFormOut,
    MonitoringVisitForm,
    ReintegrationForm,
    ReintegrationPlanForm,
)
from spean_referral.domain.forms import STAGE_OF, FamilyFinding, FormKind, too_early, unsafe
from spean_referral.domain.lifecycle import ReferralState
from spean_referral.referrals import forms_of, visible_referral


def out(row: FiledForm) -> FiledFormOut:
    return FiledFormOut.model_validate(
        {"form_id": row.form_id, "referral_id": row.referral_id, "filed_at": row.filed_at, "content": row.content}
    )


async def file(
    session: AsyncSession, principal: Principal, referral_id: str, form: ReintegrationForm, visit_interval: timedelta
) -> tuple[FiledForm, bool]:
    """The form as filed, and whether it is new: the same form sent again (a retry after an answer lost on
    the way) is the one filed first, whatever happened since."""
    referral = await visible_referral(session, principal, referral_id, lock=True)
    content = form.model_dump(mode="json")
    first = await session.exec(
        select(FiledForm).where(FiledForm.referral_id == referral_id, col(FiledForm.content) == content)
    )
    sent_before = first.first()
    if sent_before is not None:
        return sent_before, False
    if referral.state != ReferralState.IN_CARE or referral.stage is None:
        raise Problem(409, "Conflict", "forms are filed while the person is in care", extra={"current": referral.state})
    stage = ReintegrationStage(referral.stage)
    if too_early(form.form, stage):
        raise Problem(
            409,
            "Conflict",
            f"the {form.form} form belongs to the {STAGE_OF[form.form]} stage, which the case has not reached",
            extra={"stage": stage},
        )
    _check_day(referral, *_day(form))
    if isinstance(form, AssessmentForm) and unsafe(form.planned_setting, form.family):
        raise _unsafe("body.planned_setting", "the assessment found the family unsafe")
    if isinstance(form, ReintegrationPlanForm) and unsafe(form.setting, await _family(session, referral)):
        raise _unsafe("body.setting", "the latest assessment found the family unsafe")
    if isinstance(form, MonitoringVisitForm):
        _visited(referral, form, visit_interval)
    row = FiledForm(
        form_id=f"form-{uuid.uuid4().hex}",
        referral_id=referral_id,
        kind=form.form,
        content=content,
        filed_by=principal.subject,
        filed_at=datetime.now(UTC),
    )
    session.add(row)
    return row, True


async def _family(session: AsyncSession, referral: Referral) -> FamilyFinding | None:
    assessments = [row for row in await forms_of(session, referral) if row.kind == FormKind.ASSESSMENT]
    return FamilyFinding(str(assessments[-1].content["family"])) if assessments else None


def _visited(referral: Referral, visit: MonitoringVisitForm, interval: timedelta) -> None:
    """The person as the latest visit found them, and the next visit due an interval after its day, however
    late it was filed; a visit filed after a later one changes neither."""
    if referral.visited_on is not None and visit.visited_on < referral.visited_on:
        return
    referral.visited_on, referral.situation = visit.visited_on, visit.situation
    due = datetime.combine(visit.visited_on + timedelta(days=1), time(), INDOCHINA) + interval
    if referral.visit_due is None or due > referral.visit_due:
        referral.visit_due, referral.visit_breached = due, False


def _day(form: ReintegrationForm) -> tuple[str, date]:
    if isinstance(form, AssessmentForm):
        return "body.assessed_on", form.assessed_on
    if isinstance(form, ReintegrationPlanForm):
        return "body.reintegrated_on", form.reintegrated_on
    visit: MonitoringVisitForm = form
    return "body.visited_on", visit.visited_on


def _check_day(referral: Referral, path: str, day: date) -> None:
    if day > local_day(datetime.now(UTC)):
        raise invalid_field(path, "not_in_future", "must not be after today in Cambodia")
    if day < local_day(referral.offered_at):
        raise invalid_field(path, "not_before_offer", "must not be before the day the referral was offered")


def _unsafe(path: str, why: str) -> Problem:
    return invalid_field(
        path, "family_unsafe", f"must not be `family`: {why}; choose relatives, the community or a shelter"
    )
