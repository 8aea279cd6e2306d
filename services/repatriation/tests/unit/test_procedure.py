"""The SOP's state machine and calendar, without servers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from spean_contracts.sop import Kind, Reason, Role
from spean_repatriation.domain.calendar import add_working_days, notice_is_enough
from spean_repatriation.domain.procedure import (
    LocalStep,
    State,
    StepRefused,
    check_certificate_day,
    check_child_consent,
    check_child_safeguards,
    check_minutes_time,
    local_step,
    next_state,
)

D, ORIGIN = Role.DESTINATION, Role.ORIGIN


def test_the_whole_procedure_in_order() -> None:
    steps: list[tuple[Kind, dict[str, object], Role, State]] = [
        (Kind.RETURN_REQUEST, {}, D, State.REQUESTED),
        (Kind.VERIFICATION_REQUEST, {}, ORIGIN, State.VERIFYING),
        (Kind.VERIFICATION_RESULT, {"verified": True}, ORIGIN, State.VERIFIED),
        (Kind.ACCEPTANCE, {}, ORIGIN, State.ACCEPTED),
        (Kind.HANDOVER_PROPOSAL, {}, D, State.HANDOVER_SCHEDULED),
        (Kind.HANDOVER_MINUTES, {}, D, State.HANDED_OVER),
        (Kind.RETURN_CERTIFICATE, {}, ORIGIN, State.CERTIFIED),
    ]
    state: State | None = None
    for kind, body, sender, expected in steps:
        state = next_state(state, kind, body, sender=sender)
        assert state is expected
    assert state is State.CERTIFIED
    state = local_step(local_step(state, LocalStep.RECEPTION, ORIGIN), LocalStep.REINTEGRATION, ORIGIN)
    assert next_state(state, Kind.FEEDBACK, {}, sender=ORIGIN) is State.CLOSED


@pytest.mark.parametrize(
    ("state", "kind", "sender"),
    [
        (None, Kind.VERIFICATION_REQUEST, ORIGIN),
        (State.REQUESTED, Kind.ACCEPTANCE, ORIGIN),
        (State.NOT_VERIFIED, Kind.ACCEPTANCE, ORIGIN),
        (State.ACCEPTED, Kind.HANDOVER_MINUTES, D),
        (State.REFUSED, Kind.ACCEPTANCE, ORIGIN),
        (State.REQUESTED, Kind.RETURN_REQUEST, D),
        (State.VERIFIED, Kind.ACCEPTANCE, D),
        (State.ACCEPTED, Kind.HANDOVER_PROPOSAL, ORIGIN),
        (State.HANDOVER_SCHEDULED, Kind.HANDOVER_PROPOSAL, ORIGIN),
        (State.HANDED_OVER, Kind.HANDOVER_PROPOSAL, D),
        (State.VERIFYING, Kind.WITHDRAWAL, ORIGIN),
        (State.HANDED_OVER, Kind.WITHDRAWAL, D),
        (State.REFUSED, Kind.WITHDRAWAL, D),
        (State.WITHDRAWN, Kind.WITHDRAWAL, D),
        (State.WITHDRAWN, Kind.ACCEPTANCE, ORIGIN),
        # Information answers a verification request: not before one, not after the decision, not from O.
        (State.REQUESTED, Kind.VERIFICATION_INFORMATION, D),
        (State.VERIFIED, Kind.VERIFICATION_INFORMATION, D),
        (State.VERIFYING, Kind.VERIFICATION_INFORMATION, ORIGIN),
        # A correction comes before O's verification result, and from D.
        (State.VERIFIED, Kind.IDENTITY_CORRECTION, D),
        (State.NOT_VERIFIED, Kind.IDENTITY_CORRECTION, D),
        (State.ACCEPTED, Kind.IDENTITY_CORRECTION, D),
        (State.VERIFYING, Kind.IDENTITY_CORRECTION, ORIGIN),
    ],
)
def test_a_step_out_of_place_or_from_the_wrong_side_is_refused(state: State | None, kind: Kind, sender: Role) -> None:
    with pytest.raises(StepRefused) as refused:
        next_state(state, kind, {"verified": True}, sender=sender)
    assert refused.value.reason is Reason.STEP_NOT_ALLOWED


@pytest.mark.parametrize(
    "state",
    [State.REQUESTED, State.VERIFYING, State.VERIFIED, State.NOT_VERIFIED, State.ACCEPTED, State.HANDOVER_SCHEDULED],
)
def test_the_destination_country_may_withdraw_a_return_until_the_handover(state: State) -> None:
    assert next_state(state, Kind.WITHDRAWAL, {"reason": "return-declined"}, sender=D) is State.WITHDRAWN


def test_the_destination_may_propose_a_scheduled_handover_again_until_it_happens() -> None:
    assert next_state(State.HANDOVER_SCHEDULED, Kind.HANDOVER_PROPOSAL, {}, sender=D) is State.HANDOVER_SCHEDULED


def test_the_destination_may_answer_a_verification_request_more_than_once_while_verifying() -> None:
    answered = next_state(State.VERIFYING, Kind.VERIFICATION_INFORMATION, {"statement": "..."}, sender=D)
    assert next_state(answered, Kind.VERIFICATION_INFORMATION, {"statement": "..."}, sender=D) is State.VERIFYING


@pytest.mark.parametrize("state", [State.REQUESTED, State.VERIFYING])
def test_a_correction_of_the_person_leaves_the_verification_where_it_was(state: State) -> None:
    assert next_state(state, Kind.IDENTITY_CORRECTION, {"reason": "recording-error"}, sender=D) is state


def test_an_unverified_person_can_only_be_refused() -> None:
    assert (
        next_state(State.VERIFYING, Kind.VERIFICATION_RESULT, {"verified": False}, sender=ORIGIN) is State.NOT_VERIFIED
    )
    assert next_state(State.NOT_VERIFIED, Kind.REFUSAL, {}, sender=ORIGIN) is State.REFUSED


def test_a_child_needs_both_safeguards_an_adult_none() -> None:
    check_child_safeguards(False, {})
    check_child_safeguards(True, {"best_interest_assessment": {}, "carer_agreement": {}})
    partials: list[dict[str, object]] = [{}, {"best_interest_assessment": {}}, {"carer_agreement": {}}]
    for partial in partials:
        with pytest.raises(StepRefused) as refused:
            check_child_safeguards(True, partial)
        assert refused.value.reason is Reason.SAFEGUARDS_MISSING


def test_a_childs_data_crosses_only_on_a_guardians_consent_an_adults_on_their_own() -> None:
    check_child_consent(True, "guardian")
    check_child_consent(False, "person")
    with pytest.raises(StepRefused) as refused:
        check_child_consent(True, "person")
    assert refused.value.reason is Reason.SAFEGUARDS_MISSING


def test_a_handover_is_not_recorded_before_it_was_proposed_nor_certified_before_its_day() -> None:
    proposed = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    check_minutes_time(proposed, proposed)
    with pytest.raises(StepRefused) as early:
        check_minutes_time(proposed - timedelta(seconds=1), proposed)
    assert (early.value.reason, early.value.field, early.value.rule) == (
        Reason.STEP_NOT_ALLOWED,
        "handed_over_at",
        "before_proposal",
    )
    # Handed over at 23:30 UTC on 12 March: 06:30 on 13 March at the border, the certificates' day.
    handed_over = datetime(2026, 3, 12, 23, 30, tzinfo=UTC)
    check_certificate_day(date(2026, 3, 13), handed_over)
    check_certificate_day(date(2026, 3, 14), handed_over)
    with pytest.raises(StepRefused) as before:
        check_certificate_day(date(2026, 3, 12), handed_over)
    assert (before.value.field, before.value.rule) == ("issued_on", "before_handover")


def test_local_steps_happen_only_in_the_origin_country_and_in_order() -> None:
    with pytest.raises(StepRefused):
        local_step(State.CERTIFIED, LocalStep.RECEPTION, D)
    with pytest.raises(StepRefused):
        local_step(State.CERTIFIED, LocalStep.REINTEGRATION, ORIGIN)


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert add_working_days(friday, 1) == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert add_working_days(friday, 1, {date(2026, 11, 23)}) == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert add_working_days(friday, 30).date() == date(2027, 1, 1)
    assert add_working_days(friday, 0) == friday


def test_working_days_are_those_of_cambodia_and_viet_nam_not_of_utc() -> None:
    # 03:00 on Saturday in Phnom Penh and Hanoi, still Friday in UTC: the first working day is Monday.
    saturday_early = datetime(2026, 11, 20, 20, tzinfo=UTC)
    monday_early = datetime(2026, 11, 22, 20, tzinfo=UTC)
    assert add_working_days(saturday_early, 1) == monday_early
    assert add_working_days(saturday_early, 1, {date(2026, 11, 23)}) == monday_early + timedelta(days=1)


def test_handover_notice_counts_whole_days() -> None:
    assert notice_is_enough(datetime(2026, 11, 20, 3, tzinfo=UTC), date(2026, 11, 23), 3)
    assert not notice_is_enough(datetime(2026, 11, 20, 3, tzinfo=UTC), date(2026, 11, 22), 3)


def test_handover_notice_counts_from_the_day_at_the_border_not_in_utc() -> None:
    # Sent at 06:00 on 10 March at the border, 23:00 on 9 March in UTC: 12 March is two days on.
    sent_at = datetime(2026, 3, 9, 23, tzinfo=UTC)
    assert not notice_is_enough(sent_at, date(2026, 3, 12), 3)
    assert notice_is_enough(sent_at, date(2026, 3, 13), 3)
