"""The forms of the reintegration stages (MoSVY's circular of 2022): the assessment of pre-integration, the
plan carried out at integration, the visits of monitoring. A case moves into a stage only once the forms of
the stages before it are filed, and care closes with its outcome. Coded answers only: a form in free text
would hold names and addresses, which referral does not keep."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from spean_contracts.vocabulary import ReintegrationStage


class FormKind(StrEnum):
    ASSESSMENT = "assessment"
    REINTEGRATION_PLAN = "reintegration-plan"
    MONITORING_VISIT = "monitoring-visit"


class FamilyFinding(StrEnum):
    TRACED_SAFE = "traced-safe"
    TRACED_UNSAFE = "traced-unsafe"
    """Found, and where the person would be at risk again (the family sold or abused them, or is in debt)."""
    NOT_TRACED = "not-traced"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Setting(StrEnum):
    """Where the person lives once reintegrated."""

    FAMILY = "family"
    RELATIVES = "relatives"
    COMMUNITY = "community"
    INDEPENDENT_LIVING = "independent-living"
    LONG_TERM_SHELTER = "long-term-shelter"


class VisitMode(StrEnum):
    HOME_VISIT = "home-visit"
    PHONE = "phone"
    OFFICE = "office"


class Situation(StrEnum):
    """How a monitoring visit found the person."""

    STABLE = "stable"
    AT_RISK = "at-risk"
    RE_TRAFFICKED = "re-trafficked"
    NOT_FOUND = "not-found"


class Concern(StrEnum):
    VIOLENCE = "violence"
    DEBT = "debt"
    NO_INCOME = "no-income"
    SCHOOL_DROPOUT = "school-dropout"
    HEALTH = "health"
    STIGMA = "stigma"
    RE_RECRUITMENT = "re-recruitment"
    """Someone tried to recruit the person again."""


STAGE_OF = {
    FormKind.ASSESSMENT: ReintegrationStage.PRE_INTEGRATION,
    FormKind.REINTEGRATION_PLAN: ReintegrationStage.INTEGRATION,
    FormKind.MONITORING_VISIT: ReintegrationStage.MONITORING,
}
_ORDER = list(ReintegrationStage)
# Visits are of monitoring itself: monitoring needs none before it, and care may close at any stage.
_GATE = (FormKind.ASSESSMENT, FormKind.REINTEGRATION_PLAN)


def too_early(kind: FormKind, stage: ReintegrationStage) -> bool:
    """A form is filed in its own stage or later (paperwork written after the move), never before it."""
    return _ORDER.index(stage) < _ORDER.index(STAGE_OF[kind])


def missing_for(stage: ReintegrationStage, filed: Iterable[FormKind]) -> list[FormKind]:
    """The forms of the stages before `stage` that are not filed yet; closure needs none."""
    if stage == ReintegrationStage.CLOSURE:
        return []
    held = set(filed)
    before = [kind for kind in _GATE if _ORDER.index(STAGE_OF[kind]) < _ORDER.index(stage)]
    return [kind for kind in before if kind not in held]


def unsafe(setting: Setting, family: FamilyFinding | None) -> bool:
    """Sending the person back to a family found unsafe puts them where they were trafficked from."""
    return setting == Setting.FAMILY and family == FamilyFinding.TRACED_UNSAFE
