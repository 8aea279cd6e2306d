"""The coarse words events may use about a case. Coarse on purpose: an age band, never a birth date;
a province, never a village; so that no event, alone or with others, points at one person."""

from __future__ import annotations

from enum import StrEnum


class Agency(StrEnum):
    MOSVY = "MOSVY"
    MOI_POLICE = "MOI-AHTJP"
    MOI_IMMIGRATION = "MOI-IMMIGRATION"
    MOJ = "MOJ"
    MOFAIC = "MOFAIC"
    POIPET_TRANSIT_CENTRE = "MOSVY-POIPET-TC"
    BAVET_TRANSIT_CENTRE = "MOSVY-BAVET-TC"
    NGO = "NGO"
    IOM = "IOM"
    VN_MPS = "VN-MPS"
    VN_MOLISA = "VN-MOLISA"


class Province(StrEnum):
    BANTEAY_MEANCHEY = "KH-1"
    BATTAMBANG = "KH-2"
    KAMPONG_CHAM = "KH-3"
    KAMPONG_CHHNANG = "KH-4"
    KAMPONG_SPEU = "KH-5"
    KAMPONG_THOM = "KH-6"
    KAMPOT = "KH-7"
    KANDAL = "KH-8"
    KOH_KONG = "KH-9"
    KRATIE = "KH-10"
    MONDULKIRI = "KH-11"
    PHNOM_PENH = "KH-12"
    PREAH_VIHEAR = "KH-13"
    PREY_VENG = "KH-14"
    PURSAT = "KH-15"
    RATANAKIRI = "KH-16"
    SIEM_REAP = "KH-17"
    PREAH_SIHANOUK = "KH-18"
    STUNG_TRENG = "KH-19"
    SVAY_RIENG = "KH-20"
    TAKEO = "KH-21"
    ODDAR_MEANCHEY = "KH-22"
    KEP = "KH-23"
    PAILIN = "KH-24"
    TBOUNG_KHMUM = "KH-25"
    ABROAD = "ABROAD"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    UNDER_12 = "0-11"
    TEEN = "12-17"
    YOUNG_ADULT = "18-24"
    ADULT = "25-34"
    MIDDLE = "35-49"
    OLDER = "50+"
    UNKNOWN = "unknown"


class Country(StrEnum):
    """ISO 3166-1 alpha-3 of the nationalities Spean meets most; OTHER stands for the rest."""

    CAMBODIA = "KHM"
    VIET_NAM = "VNM"
    THAILAND = "THA"
    CHINA = "CHN"
    MALAYSIA = "MYS"
    INDONESIA = "IDN"
    MYANMAR = "MMR"
    LAOS = "LAO"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class ExploitationType(StrEnum):
    SEXUAL = "sexual"
    FORCED_LABOUR = "forced-labour"
    BEGGING = "begging"
    FORCED_MARRIAGE = "forced-marriage"
    ORGAN_REMOVAL = "organ-removal"
    FORCED_CRIMINALITY = "forced-criminality"


class Encounter(StrEnum):
    BORDER_SCREENING = "border-screening"
    DEPORTEE_TRANSIT = "deportee-transit"
    POLICE_OPERATION = "police-operation"
    NGO_OUTREACH = "ngo-outreach"
    HOTLINE = "hotline"
    SELF_REFERRAL = "self-referral"
    REPATRIATION = "repatriation"


class Continuum(StrEnum):
    """A: completely forced ... F: voluntary migration with choice of worksite."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Outcome(StrEnum):
    TRAFFICKING_VICTIM = "trafficking-victim"
    VULNERABLE_PERSON = "vulnerable-person"
    NOT_TRAFFICKED = "not-trafficked"


class Service(StrEnum):
    SHELTER = "shelter"
    MEDICAL = "medical"
    PSYCHOSOCIAL = "psychosocial"
    LEGAL = "legal"
    FAMILY_TRACING = "family-tracing"
    EDUCATION = "education"
    VOCATIONAL = "vocational"
    REINTEGRATION_FOLLOW_UP = "reintegration-follow-up"


class ProviderType(StrEnum):
    NGO = "ngo"
    GOVERNMENT_SHELTER = "government-shelter"
    LEGAL_AID = "legal-aid"
    HEALTH = "health"


class CaseStatus(StrEnum):
    """The Human Trafficking Case Data Standard's status words."""

    ACTIVE = "Active"
    FOLLOW_UP = "FollowUp"
    CLOSED = "Closed"
    CLOSED_REFERRED = "ClosedReferred"


class ReintegrationStage(StrEnum):
    PRE_INTEGRATION = "pre-integration"
    INTEGRATION = "integration"
    MONITORING = "monitoring"
    CLOSURE = "closure"


class ClosureOutcome(StrEnum):
    """How care ended, as the provider found the person at its closure (the closure form of MoSVY's
    reintegration circular)."""

    REINTEGRATED = "reintegrated"
    """Living safely where the reintegration plan placed them."""
    RE_TRAFFICKED = "re-trafficked"
    LOST_CONTACT = "lost-contact"
    DECLINED_SERVICES = "declined-services"
    """The person chose to end care."""
    MOVED_AWAY = "moved-away"
    """Left the provider's reach without a referral on (another province or country)."""
    DIED = "died"


class DeclineReason(StrEnum):
    NO_CAPACITY = "no-capacity"
    NOT_ELIGIBLE = "not-eligible"
    NO_CONSENT = "no-consent"
    VICTIM_DECLINED = "victim-declined"
    OTHER = "other"


class BorderGate(StrEnum):
    MOC_BAI_BAVET = "moc-bai-bavet"
    XA_MAT = "xa-mat"
    HA_TIEN = "ha-tien"
    SONG_TIEN = "song-tien"
    PREY_VOR = "prey-vor"


class RefusalReason(StrEnum):
    NATIONALITY_NOT_CONFIRMED = "nationality-not-confirmed"
    IDENTITY_NOT_VERIFIED = "identity-not-verified"
    NOT_IN_BEST_INTEREST = "not-in-best-interest"
    NO_CONSENT = "no-consent"
    OTHER = "other"


class WithdrawalReason(StrEnum):
    """Why a return ended before the handover."""

    CONSENT_WITHDRAWN = "consent-withdrawn"
    """The person (or guardian) withdrew consent to share their data across the border."""
    RETURN_DECLINED = "return-declined"
    """The person no longer wishes to return."""
    OTHER = "other"


class ChargeCategory(StrEnum):
    TRAFFICKING = "trafficking"
    RAPE = "rape"
    OTHER = "other"


class Verdict(StrEnum):
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    DISMISSED = "dismissed"
    SETTLED = "settled"
    PENDING = "pending"


class AgeMethod(StrEnum):
    """How an age assessment came to its age: the holistic ones first; a medical examination is the last
    resort, and no method alone gives more than a range."""

    DOCUMENTS_VERIFIED = "documents-verified"
    FAMILY_CONFIRMED = "family-confirmed"
    INTERVIEW = "interview"
    MEDICAL_EXAMINATION = "medical-examination"


class CorrectionReason(StrEnum):
    """Why a person's data was corrected: a coded reason, never free text, which could name the person."""

    RECORDING_ERROR = "recording-error"
    DOCUMENTS_VERIFIED = "documents-verified"
    PERSON_CORRECTED = "person-corrected"
    IDENTITY_ESTABLISHED = "identity-established"


class ConsentPurpose(StrEnum):
    SERVICES = "services"
    SHARING_AGENCIES = "sharing-agencies"
    SHARING_CROSS_BORDER = "sharing-cross-border"
    IMAGES = "images"
    RESEARCH = "research"
