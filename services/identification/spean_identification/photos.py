"""Use cases of a screening's photo: taken by the owning agency with the person's consent to images, read
under the same rule as the rest of the person's data, gone when that consent is withdrawn (or the case
erased, `screenings.erase`). Every one of these is in the screening's audit trail. No event ever carries a photo."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.vocabulary import ConsentPurpose
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import CaseKey, Photo
from spean_identification.api.schemas import PhotoOut
from spean_identification.domain.access import consent_in_force, owner_or_authority
from spean_identification.screenings import audited, erased, latest_consent, opened, screening_of
from spean_kit import audit
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem
from spean_kit.images import Kept

MAX_BYTES = 512 * 1024
"""The size the SOP's verification information takes for a photo: one taken here may cross unchanged."""
NO_PHOTO = "no photo of this screening is kept"
WITHDRAWN = "photo deleted: consent to images withdrawn"


async def keep(
    session: AsyncSession, keys: CaseKeys, principal: Principal, screening_id: str, kept: Kept
) -> tuple[PhotoOut, bool]:
    """Keeps the photo as the screening's, replacing any before it; the photo as kept, and whether it is the
    screening's first."""
    screening = await screening_of(session, screening_id)
    if principal.agency != screening.agency:
        raise Forbidden("only the agency that screened the person takes their photo")
    wrapped = await session.get(CaseKey, screening.case_id)
    if wrapped is None:
        raise erased()
    if not consent_in_force(await latest_consent(session, screening.case_id, ConsentPurpose.IMAGES)):
        raise Problem(
            409,
            "Conflict",
            "no consent to images: record the person's consent for the purpose `images` first",
            kind="consent-required",
        )
    now = datetime.now(UTC)
    earlier = await session.get(Photo, screening_id)
    photo = Photo(
        screening_id=screening_id,
        case_id=screening.case_id,
        media_type=kept.media_type,
        size=len(kept.image),
        image=keys.encrypt(wrapped.wrapped_key, screening.case_id, kept.image),
        taken_by=principal.subject,
        taken_at=now,
    )
    photo = await session.merge(photo)
    reason = "photo replaced" if earlier else "photo taken"
    await audit.append(session, audited(principal, screening_id, now, None, reason))
    return PhotoOut.model_validate(photo, from_attributes=True), earlier is None


async def read(
    session: AsyncSession, keys: CaseKeys, principal: Principal, screening_id: str, purpose: str | None
) -> tuple[str, bytes]:
    """The photo's media type and image, if the access rule lets the principal read the person's data."""
    read = await opened(session, principal, screening_id, purpose, photo=True)
    photo = await session.get(Photo, screening_id)
    if photo is None:
        raise Problem(404, "Not found", NO_PHOTO)
    return photo.media_type, keys.decrypt(read.wrapped.wrapped_key, read.screening.case_id, photo.image)


async def remove(session: AsyncSession, principal: Principal, screening_id: str) -> None:
    """Deletes the photo on the word of the agency that took it or of the competent authority."""
    screening = await screening_of(session, screening_id)
    if not owner_or_authority(agency=principal.agency, roles=principal.roles, owner=screening.agency):
        raise Forbidden("only the agency that screened the person or the competent authority deletes their photo")
    photo = await session.get(Photo, screening_id)
    if photo is None:
        raise Problem(404, "Not found", NO_PHOTO)
    await session.delete(photo)
    await audit.append(session, audited(principal, screening_id, datetime.now(UTC), None, "photo deleted"))


async def withdrawn(session: AsyncSession, principal: Principal, case_id: str) -> None:
    """The person withdrew their consent to images: every photo of the case goes, each deletion in its
    screening's audit trail."""
    taken = (await session.exec(select(Photo.screening_id).where(Photo.case_id == case_id))).all()
    await session.exec(sa.delete(Photo).where(col(Photo.case_id) == case_id))
    now = datetime.now(UTC)
    for screening_id in taken:
        await audit.append(session, audited(principal, screening_id, now, None, WITHDRAWN))
