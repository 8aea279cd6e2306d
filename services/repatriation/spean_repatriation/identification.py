"""What repatriation learns from identification about the cases it returns from this country.

Consent to share the person's data across the border, withdrawn where it was recorded, ends the case's
returns under way; the person's latest word counts wherever it was given, so a return whose consent was
taken after the withdrawal goes on. A lawful erasure of the case's personal data erases this service's
copies too: those of returns from this country, and that of a return to it whose person identification
screened on arrival (the screening continues the return's case). That screening at the transit centre is
the reception of SOP step 9: a return certified here moves on to `received` by itself, and one whose
certificate is recorded after the screening moves on with the certificate. A correction of the person's
data, or an age assessed otherwise than a return request says, marks the case's returns not yet handed over:
the officer sends the counterpart the corrected person while it verifies, or withdraws the return after.
What the screenings, corrections and assessments say of the case's age is kept (case_ages.py): a return
request sending as an adult a child identification knows is refused, or marked if the event came after it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts.events import (
    AgeAssessed,
    ConsentRecorded,
    PersonalDataErased,
    ScreeningCorrected,
    ScreeningRecorded,
)
from spean_contracts.fields import earliest_today
from spean_contracts.sop import Role, Withdrawal
from spean_contracts.vocabulary import ConsentPurpose, Encounter, WithdrawalReason
from spean_kit.consumer import Handler
from spean_kit.outbox import Stager
from spean_repatriation.adapters.tables import Repatriation
from spean_repatriation.case_ages import learn
from spean_repatriation.domain.ages import KnownAge, presumed_child
from spean_repatriation.domain.procedure import (
    BEFORE_HANDOVER,
    LocalStep,
    State,
    local_step,
)
from spean_repatriation.exchange import Exchange, erase, held_person, identity_sent_at, locked, withdraw

WITHDRAWN = Withdrawal(reason=WithdrawalReason.CONSENT_WITHDRAWN)
GOING = [state.value for state in BEFORE_HANDOVER]


def follow_identification(exchange: Exchange) -> Handler:
    async def on_identification_event(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
        data = event.data
        known = (
            await learn(session, data)
            if isinstance(data, ScreeningRecorded | ScreeningCorrected | AgeAssessed)
            else None
        )
        if isinstance(data, ScreeningRecorded) and data.encounter == Encounter.REPATRIATION:
            home = [State.HANDED_OVER.value, State.CERTIFIED.value]
            for row in (await _returns(session, data.case_id, home, roles=(Role.ORIGIN,))).values():
                if row.state == State.CERTIFIED:
                    row.state = local_step(State(row.state), LocalStep.RECEPTION, Role(row.role)).value
                else:
                    row.screened_on_arrival_at = data.screened_at
                row.updated_at = datetime.now(UTC)
                session.add(row)
        elif isinstance(data, PersonalDataErased):
            for row in (await _returns(session, data.case_id, roles=tuple(Role))).values():
                await erase(session, stage, exchange, row, now=datetime.now(UTC))
        elif isinstance(data, ScreeningCorrected | AgeAssessed):
            changed = data.corrected_at if isinstance(data, ScreeningCorrected) else data.assessed_at
            for row in (await _returns(session, data.case_id, GOING)).values():
                # A change the person sent across already took in (this event came late) is no news, unless
                # what was sent makes an adult of a child it would have refused, had it come in time.
                news = isinstance(data, ScreeningCorrected) or row.is_child != data.is_child
                if (news and changed > (row.identity_changed_at or await identity_sent_at(session, row))) or (
                    row.identity_changed_at is None and _presumed_child(exchange, row, known)
                ):
                    row.identity_changed_at = changed
                    session.add(row)
        elif (
            isinstance(data, ConsentRecorded) and not data.given and data.purpose == ConsentPurpose.SHARING_CROSS_BORDER
        ):
            for row in (await _returns(session, data.case_id, GOING)).values():
                if row.state in GOING and (
                    row.consent_recorded_at is None or row.consent_recorded_at < data.recorded_at
                ):
                    await withdraw(session, stage, exchange, row, WITHDRAWN, now=datetime.now(UTC))

    return on_identification_event


def _presumed_child(exchange: Exchange, row: Repatriation, known: KnownAge | None) -> bool:
    if known is None:
        return False
    held = held_person(exchange, row)
    return held is not None and presumed_child(known, held, earliest_today())


async def _returns(
    session: AsyncSession, case_id: str, states: list[str] | None = None, roles: tuple[Role, ...] = (Role.DESTINATION,)
) -> dict[str, Repatriation]:
    """The case's returns where this country plays one of `roles` (from this country, by default), in
    `states`, locked."""
    query = select(Repatriation.reference).where(
        Repatriation.case_id == case_id, col(Repatriation.role).in_([role.value for role in roles])
    )
    if states is not None:
        query = query.where(col(Repatriation.state).in_(states))
    return await locked(session, (await session.exec(query)).all())
