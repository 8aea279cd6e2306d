"""Who may read a screening's personal data: the owning agency, the competent authority, or an agency (or
one organisation of it, such as the provider a referral placed the person with) it was shared with while
the victim's consent to sharing between agencies stands; always for a stated purpose. Every decision,
either way, is audited."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from spean_contracts.fields import purpose_stated

READER_ROLES = frozenset({"screener", "determiner", "case-worker", "provider"})
ERASED = "the person's data was lawfully erased"
MANY_ORGANISATIONS = frozenset({"NGO"})
"""Agencies that stand for many organisations: a share with one of them names the organisation, or it
would open the person's data to every NGO."""


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str


@dataclass(frozen=True)
class LatestConsent:
    """The latest record of the victim's consent for one purpose (sharing between agencies, images): given,
    or withdrawn."""

    given: bool
    recorded_at: datetime


@dataclass(frozen=True)
class Grant:
    """A screening shared with one agency: when, whether the competent authority shared it without the
    victim's consent, and whether the person's photo was shared with the rest."""

    at: datetime
    overrides_consent: bool
    includes_photo: bool = False


def consent_in_force(consent: LatestConsent | None) -> bool:
    return consent is not None and consent.given


def grant_stands(grant: Grant, consent: LatestConsent | None) -> bool:
    """A share holds while the victim consents. The competent authority's override holds against a consent
    missing or withdrawn before it, never against a withdrawal that came after: that is the victim's
    latest word."""
    if consent_in_force(consent):
        return True
    return grant.overrides_consent and (consent is None or consent.recorded_at < grant.at)


def may_read(
    *,
    agency: str | None,
    roles: Collection[str],
    purpose: str | None,
    owner: str,
    grant: Grant | None,
    consent: LatestConsent | None,
    photo: bool = False,
) -> Decision:
    """Whether the principal reads the person's data (with `photo`, the person's photo) for `purpose`."""
    if not READER_ROLES & set(roles):
        return Decision(False, "no role that reads screenings")
    if not purpose_stated(purpose):
        return Decision(False, "a purpose of at least five characters is required")
    if "determiner" in roles:
        return Decision(True, "competent authority")
    if agency == owner:
        return Decision(True, "owning agency")
    if grant is None:
        return Decision(False, "not the owning agency and not shared with it")
    if not grant_stands(grant, consent):
        if consent is None:
            return Decision(False, "shared, but the victim has not consented to sharing between agencies")
        return Decision(False, "shared, but the victim no longer consents to sharing between agencies")
    if photo and not grant.includes_photo:
        # A photo identifies the person at a glance, beyond what a reader needs for most purposes.
        return Decision(False, "shared without the photo")
    if consent_in_force(consent):
        return Decision(True, "shared with this agency")
    return Decision(True, "shared by the competent authority without the victim's consent")


def may_read_determination(
    *, agency: str | None, roles: Collection[str], purpose: str | None, co_signing_agency: str
) -> Decision:
    """Whether the principal reads a case's determination, its grounds included, for `purpose`: the competent
    authority and its case workers, and the police whose co-signature it may await, who must see what they
    sign."""
    if "determiner" in roles or "case-worker" in roles:
        reader = "competent authority"
    elif "co-signer" in roles and agency == co_signing_agency:
        reader = "co-signing police"
    else:
        return Decision(False, "no role that reads determinations")
    if not purpose_stated(purpose):
        return Decision(False, "a purpose of at least five characters is required to read the determination")
    return Decision(True, f"determination read by the {reader}")


def needs_guardian(*, given: bool, by_guardian: bool, known_as_child: bool) -> bool:
    """Whether a consent is refused unless the person has come of age since they were last known a child (at
    their screening, or at the assessment of their age): a child's consent is a parent's or guardian's to give,
    not the child's alone. A withdrawal is heard from either: it only closes the person's data."""
    return given and not by_guardian and known_as_child


def owner_or_authority(*, agency: str | None, roles: Collection[str], owner: str) -> bool:
    """Who decides over a screening's personal data (shares it, deletes its photo): the agency that screened
    the person, or the competent authority."""
    return agency == owner or "determiner" in roles


def share_reason(
    agency: str, organisation: str | None, *, overrides_consent: bool, occasion: str = "", with_photo: bool = False
) -> str:
    """The audit trail's words for a share: with whom, on what occasion, whether the photo with the rest, and
    whether without consent."""
    reader = f"{agency} ({organisation})" if organisation else agency
    photo = " with the photo" if with_photo else ""
    return f"shared with {reader}{occasion}{photo}" + (" without the victim's consent" if overrides_consent else "")


def unless_erased(decision: Decision, *, erased: bool) -> Decision:
    """Nobody reads a person whose data was erased; whoever may not read learns nothing of the erasure."""
    return Decision(False, ERASED) if decision.granted and erased else decision


def may_read_age_assessments(*, roles: Collection[str], purpose: str | None) -> Decision:
    """Whether the principal reads a case's age assessments, the ages and the grounds, for `purpose`: the
    competent authority that makes them and its case workers."""
    if "determiner" not in roles and "case-worker" not in roles:
        return Decision(False, "no role that reads age assessments")
    if not purpose_stated(purpose):
        return Decision(False, "a purpose of at least five characters is required to read age assessments")
    return Decision(True, "age assessments read by the competent authority")
