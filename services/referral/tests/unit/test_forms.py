"""Which forms each reintegration stage needs, when a form may be filed, and where a person may not go."""

from __future__ import annotations

from spean_contracts.vocabulary import ReintegrationStage as Stage
from spean_referral.domain.forms import FamilyFinding, FormKind, Setting, missing_for, too_early, unsafe


def test_a_stage_is_entered_with_the_forms_of_every_stage_before_it_and_closure_at_any_time() -> None:
    assert missing_for(Stage.INTEGRATION, []) == [FormKind.ASSESSMENT]
    assert missing_for(Stage.MONITORING, [FormKind.ASSESSMENT]) == [FormKind.REINTEGRATION_PLAN]
    assert missing_for(Stage.MONITORING, [FormKind.ASSESSMENT, FormKind.REINTEGRATION_PLAN]) == []
    assert missing_for(Stage.PRE_INTEGRATION, []) == []
    assert missing_for(Stage.CLOSURE, []) == []


def test_a_form_is_filed_in_its_stage_or_later_never_before() -> None:
    assert too_early(FormKind.REINTEGRATION_PLAN, Stage.PRE_INTEGRATION)
    assert too_early(FormKind.MONITORING_VISIT, Stage.INTEGRATION)
    assert not too_early(FormKind.ASSESSMENT, Stage.MONITORING)
    assert not too_early(FormKind.MONITORING_VISIT, Stage.MONITORING)


def test_only_a_family_found_unsafe_is_refused_as_the_place_to_return_to() -> None:
    assert unsafe(Setting.FAMILY, FamilyFinding.TRACED_UNSAFE)
    assert not unsafe(Setting.RELATIVES, FamilyFinding.TRACED_UNSAFE)
    assert not unsafe(Setting.FAMILY, FamilyFinding.TRACED_SAFE)
    assert not unsafe(Setting.FAMILY, None)
