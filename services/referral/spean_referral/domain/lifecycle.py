"""A referral's life: offered -> accepted or declined (or expired) -> in care through the
reintegration stages -> closed. Transitions not listed here are refused with the current state."""

from __future__ import annotations

from enum import StrEnum

from spean_contracts.vocabulary import CaseStatus, ReintegrationStage


class ReferralState(StrEnum):
    OFFERED = "offered"
    DECLINED = "declined"
    EXPIRED = "expired"
    IN_CARE = "in-care"
    CLOSED = "closed"
    CLOSED_REFERRED = "closed-referred"


# A case has at most one open referral to each provider: a second offer (a caseworker's retry after a
# timeout) would reach the provider twice and could hold two of its beds.
OPEN = (ReferralState.OFFERED, ReferralState.IN_CARE)


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    STAGE = "stage"
    CLOSE = "close"
    HAND_OVER = "hand-over"


TRANSITIONS: dict[tuple[ReferralState, Action], ReferralState] = {
    (ReferralState.OFFERED, Action.ACCEPT): ReferralState.IN_CARE,
    (ReferralState.OFFERED, Action.DECLINE): ReferralState.DECLINED,
    (ReferralState.OFFERED, Action.EXPIRE): ReferralState.EXPIRED,
    (ReferralState.IN_CARE, Action.STAGE): ReferralState.IN_CARE,
    (ReferralState.IN_CARE, Action.CLOSE): ReferralState.CLOSED,
    (ReferralState.IN_CARE, Action.HAND_OVER): ReferralState.CLOSED_REFERRED,
    # The person left for their own country before the provider answered: referred on, not declined.
    (ReferralState.OFFERED, Action.HAND_OVER): ReferralState.CLOSED_REFERRED,
}

# A case in one of these is over here: nothing more is offered, and leaving the country ends nothing more.
CLOSED_CASE = (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)

STATUS_OF_STAGE = {
    ReintegrationStage.PRE_INTEGRATION: CaseStatus.ACTIVE,
    ReintegrationStage.INTEGRATION: CaseStatus.ACTIVE,
    ReintegrationStage.MONITORING: CaseStatus.FOLLOW_UP,
    ReintegrationStage.CLOSURE: CaseStatus.CLOSED,
}


class TransitionRefused(Exception):
    def __init__(self, state: ReferralState, action: Action) -> None:
        super().__init__(f"cannot {action} a referral that is {state}")
        self.state = state
        self.action = action


def next_state(state: ReferralState, action: Action) -> ReferralState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionRefused(state, action) from None
