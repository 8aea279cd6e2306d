"""The catalogue: every event type, its version, its topic, who produces it and who consumes it."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from spean_contracts import events as e
from spean_contracts.examples import EXAMPLES
from spean_contracts.fields import EventData


class Service(StrEnum):
    IDENTIFICATION = "identification"
    REFERRAL = "referral"
    REPATRIATION = "repatriation"
    REGISTRY = "registry"


# A case topic keeps every event for ever: the registry rebuilds its national index from offset 0, and
# every consumer's inbox keeps every event id it has processed, so such a replay applies nothing twice.
KEPT_FOREVER = -1
# A dead letter waits thirty days for operators to mend its cause and send it back to its topic.
DEAD_LETTER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Topic:
    """A Kafka topic owned by one service; its dead-letter twin keeps what consumers could not process."""

    name: str
    owner: Service
    consumers: tuple[Service, ...]
    description: str
    partitions: int = 6
    retention_ms: int = KEPT_FOREVER

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlq"


IDENTIFICATION = Topic(
    "spean.identification.v1",
    Service.IDENTIFICATION,
    (Service.REFERRAL, Service.REPATRIATION, Service.REGISTRY),
    "Screenings, determinations and identified cases.",
)
REFERRAL = Topic(
    "spean.referral.v1",
    Service.REFERRAL,
    (Service.IDENTIFICATION, Service.REGISTRY),
    "Referral cases, offers, care and reintegration, service gaps.",
)
REPATRIATION = Topic(
    "spean.repatriation.v1",
    Service.REPATRIATION,
    (Service.IDENTIFICATION, Service.REFERRAL, Service.REGISTRY),
    "The steps of the Cambodia-Viet Nam SOP and repatriated cases.",
)
PROSECUTION = Topic(
    "spean.prosecution.v1",
    Service.REGISTRY,
    (Service.REGISTRY,),
    "Court outcomes from the Ministry of Justice and prosecuted cases.",
)
TOPICS: tuple[Topic, ...] = (IDENTIFICATION, REFERRAL, REPATRIATION, PROSECUTION)


@dataclass(frozen=True)
class EventSpec:
    """One event type at its current version. `name` is `<domain>.<event>`, e.g. `case.identified`."""

    name: str
    model: type[EventData]
    topic: Topic
    major: int = 1
    minor: int = 0
    examples: tuple[dict[str, Any], ...] = field(default=())

    # Cached: every event published or consumed reads them.
    @functools.cached_property
    def ce_type(self) -> str:
        return f"kh.spean.{self.name}.v{self.major}"

    @functools.cached_property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    @functools.cached_property
    def dataschema(self) -> str:
        return f"urn:kh:spean:schema:{self.name}:{self.version}"

    @property
    def description(self) -> str:
        return " ".join((self.model.__doc__ or self.name).split())


def _spec(name: str, model: type[EventData], topic: Topic) -> EventSpec:
    return EventSpec(name=name, model=model, topic=topic, examples=EXAMPLES[name])


CATALOGUE: tuple[EventSpec, ...] = (
    _spec("identification.screening-recorded", e.ScreeningRecorded, IDENTIFICATION),
    _spec("identification.match-keys-renewed", e.MatchKeysRenewed, IDENTIFICATION),
    _spec("identification.screening-corrected", e.ScreeningCorrected, IDENTIFICATION),
    _spec("identification.determination-made", e.DeterminationMade, IDENTIFICATION),
    _spec("case.identified", e.CaseIdentified, IDENTIFICATION),
    _spec("identification.vulnerable-person-identified", e.VulnerablePersonIdentified, IDENTIFICATION),
    _spec("identification.age-assessed", e.AgeAssessed, IDENTIFICATION),
    _spec("identification.consent-recorded", e.ConsentRecorded, IDENTIFICATION),
    _spec("identification.personal-data-erased", e.PersonalDataErased, IDENTIFICATION),
    _spec("identification.deadline-breached", e.IdentificationDeadlineBreached, IDENTIFICATION),
    _spec("referral.case-opened", e.ReferralCaseOpened, REFERRAL),
    _spec("referral.offered", e.ReferralOffered, REFERRAL),
    _spec("referral.accepted", e.ReferralAccepted, REFERRAL),
    _spec("referral.personal-data-shared", e.ReferralPersonalDataShared, REFERRAL),
    _spec("referral.declined", e.ReferralDeclined, REFERRAL),
    _spec("referral.deadline-breached", e.ReferralDeadlineBreached, REFERRAL),
    _spec("referral.reintegration-stage-changed", e.ReintegrationStageChanged, REFERRAL),
    _spec("referral.follow-up-deadline-breached", e.FollowUpDeadlineBreached, REFERRAL),
    _spec("referral.visit-deadline-breached", e.VisitDeadlineBreached, REFERRAL),
    _spec("referral.placement-deadline-breached", e.PlacementDeadlineBreached, REFERRAL),
    _spec("referral.service-gap-recorded", e.ServiceGapRecorded, REFERRAL),
    replace(_spec("referral.closed", e.ReferralClosed, REFERRAL), minor=1),
    _spec("case.referred", e.CaseReferred, REFERRAL),
    _spec("case.closed", e.CaseClosed, REFERRAL),
    _spec("repatriation.requested", e.RepatriationRequested, REPATRIATION),
    _spec("repatriation.verified", e.RepatriationVerified, REPATRIATION),
    _spec("repatriation.accepted", e.RepatriationAccepted, REPATRIATION),
    _spec("repatriation.refused", e.RepatriationRefused, REPATRIATION),
    _spec("repatriation.handover-scheduled", e.HandoverScheduled, REPATRIATION),
    _spec("repatriation.handed-over", e.HandedOver, REPATRIATION),
    _spec("repatriation.withdrawn", e.RepatriationWithdrawn, REPATRIATION),
    replace(_spec("repatriation.deadline-breached", e.RepatriationDeadlineBreached, REPATRIATION), minor=1),
    _spec("case.repatriated", e.CaseRepatriated, REPATRIATION),
    _spec("prosecution.court-outcome-recorded", e.CourtOutcomeRecorded, PROSECUTION),
    _spec("case.prosecuted", e.CaseProsecuted, PROSECUTION),
)

_BY_TYPE = {spec.ce_type: spec for spec in CATALOGUE}
_BY_MODEL = {spec.model: spec for spec in CATALOGUE}


def spec_for_type(ce_type: str) -> EventSpec:
    try:
        return _BY_TYPE[ce_type]
    except KeyError:
        raise KeyError(f"unknown event type {ce_type!r}") from None


def spec_for_model(model: type[EventData]) -> EventSpec:
    return _BY_MODEL[model]
