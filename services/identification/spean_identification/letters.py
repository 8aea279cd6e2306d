"""Identification letters: the competent authority issues one to a person it determined a trafficking
victim; a police officer, a court or a lawyer the person shows it to checks it here. Every check is in the
screening's audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import local_day
from spean_contracts.vocabulary import ExploitationType, Outcome
from spean_identification.adapters.tables import Determination, Letter
from spean_identification.api.schemas import LetterCheck, LetterCheckIn, LetterIssued, LetterListed
from spean_identification.determinations import FINAL
from spean_identification.domain.letters import digest, new_code
from spean_identification.screenings import audited, first_screening, new_id
from spean_kit import audit
from spean_kit.auth import Principal
from spean_kit.errors import Problem

CHECKED = "identification letter {} checked"


async def issue(session: AsyncSession, principal: Principal, case_id: str) -> LetterIssued:
    """A new letter for the case, replacing any before it (a letter lost, or taken from the person)."""
    await first_screening(session, case_id)
    determination = await session.get(Determination, case_id, with_for_update=True)
    if determination is None or determination.status != FINAL or determination.outcome != Outcome.TRAFFICKING_VICTIM:
        found = "undetermined" if determination is None else f"{determination.outcome}, {determination.status}"
        raise Problem(
            409,
            "Conflict",
            f"a letter is issued on a final determination as a trafficking victim (this case: {found})",
            kind="not-identified",
        )
    now = datetime.now(UTC)
    replaced = await session.exec(
        update(Letter)
        .where(col(Letter.case_id) == case_id, col(Letter.replaced_at).is_(None))
        .values(replaced_at=now)
        .returning(col(Letter.letter_id))
    )
    code = new_code()
    letter = Letter(
        letter_id=new_id("ltr"),
        case_id=case_id,
        code_digest=digest(code),
        issued_by=principal.subject,
        agency=principal.agency or "",
        issued_at=now,
    )
    session.add(letter)
    await session.flush()
    return LetterIssued(
        letter_id=letter.letter_id,
        case_id=case_id,
        code=code,
        issued_at=now,
        replaces=sorted(replaced.scalars()),
    )


async def issued(session: AsyncSession, case_id: str) -> list[LetterListed]:
    """The case's letters, oldest first: only the last one holds."""
    await first_screening(session, case_id)
    rows = (await session.exec(select(Letter).where(Letter.case_id == case_id).order_by(col(Letter.issued_at)))).all()
    return [LetterListed.model_validate(row, from_attributes=True) for row in rows]


async def check(session: AsyncSession, principal: Principal, body: LetterCheckIn) -> LetterCheck:
    """What the letter with this code says, while it holds; audited whether it holds or not."""
    # A letter is only issued on a determination, and determinations are never deleted (an erasure
    # destroys the person's data, not the decision).
    found = (
        await session.exec(
            select(Letter, Determination)
            .join(Determination, col(Determination.case_id) == col(Letter.case_id))
            .where(Letter.code_digest == digest(body.code))
        )
    ).first()
    if found is None:
        raise Problem(404, "Not found", "no letter has this code", kind="letter-unknown")
    letter, determination = found
    screening = await first_screening(session, letter.case_id)
    now = datetime.now(UTC)
    holds = letter.replaced_at is None
    reason = CHECKED.format(letter.letter_id) + ("" if holds else " (replaced)")
    await audit.append(session, audited(principal, screening.screening_id, now, body.purpose, reason, granted=holds))
    if letter.replaced_at is not None:
        # The refusal stays in the audit trail: whoever still carries a replaced letter is worth knowing of.
        await session.commit()
        raise Problem(
            410,
            "Gone",
            f"this letter was replaced on {local_day(letter.replaced_at).isoformat()}; ask for the one issued since",
            kind="letter-replaced",
        )
    return LetterCheck(
        letter_id=letter.letter_id,
        case_id=letter.case_id,
        outcome=Outcome(determination.outcome),
        exploitation_types=[ExploitationType(e) for e in determination.exploitation_types],
        determined_by=determination.agency,
        co_signed_by=determination.co_signed_by,
        determined_at=determination.decided_at,
        issued_at=letter.issued_at,
    )
