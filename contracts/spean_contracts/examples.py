"""One worked example per event type: published in the schemas and the README, round-tripped in tests."""

from __future__ import annotations

from typing import Any

CASE = "case-7f3c9a1e5b2d4e8f"
REPATRIATION = "rep-kh-vn-2026-0042"
T = "2026-11-02T08:15:00Z"

_REPATRIATION_STEP = {
    "case_id": CASE,
    "repatriation_id": REPATRIATION,
    "destination_country": "VNM",
    "origin_country": "KHM",
    "at": T,
}

EXAMPLES: dict[str, tuple[dict[str, Any], ...]] = {
    "identification.screening-recorded": (
        {
            "case_id": CASE,
            "screening_id": "scr-0001-poipet",
            "agency": "MOSVY-POIPET-TC",
            "encounter": "deportee-transit",
            "province": "KH-1",
            "sex": "male",
            "age_band": "25-34",
            "nationality": "KHM",
            "is_child": False,
            "continuum": "C",
            "indicators_present": 7,
            "suggested_outcome": "trafficking-victim",
            "match_keys": ["b1n0kKf3Xq2cX1hJ2wq7mZC9yV5pQe8rT4uW6sA0dF8"],
            "screened_at": T,
        },
    ),
    "identification.match-keys-renewed": (
        {
            "case_id": CASE,
            "screening_id": "scr-0001-poipet",
            "match_keys": ["Vq8dT0sLm2Xw9cJ4nB7yK1pR5hZ3aE6gU0fI8oW2tQe"],
            "renewed_at": T,
        },
    ),
    "identification.screening-corrected": (
        {
            "case_id": CASE,
            "screening_id": "scr-0001-poipet",
            "province": "KH-1",
            "sex": "male",
            "age_band": "18-24",
            "nationality": "KHM",
            "is_child": False,
            "match_keys": ["Qm7rT2vXc9Lk4pW8sZ1nB6yH3dF0aJ5gU2eI7oR9tYw"],
            "reason": "documents-verified",
            "agency": "MOSVY-POIPET-TC",
            "corrected_at": T,
        },
    ),
    "identification.determination-made": (
        {
            "case_id": CASE,
            "determination_id": "det-0001-mosvy",
            "outcome": "trafficking-victim",
            "exploitation_types": ["forced-labour"],
            "agency": "MOSVY",
            "co_signed_by": "MOI-AHTJP",
            "determined_at": T,
        },
    ),
    "case.identified": (
        {
            "case_id": CASE,
            "province": "KH-1",
            "sex": "male",
            "age_band": "25-34",
            "nationality": "KHM",
            "is_child": False,
            "exploitation_types": ["forced-labour"],
            "screening_agency": "MOSVY-POIPET-TC",
            "identified_at": T,
        },
    ),
    "identification.vulnerable-person-identified": (
        {
            "case_id": CASE,
            "province": "KH-12",
            "sex": "female",
            "age_band": "18-24",
            "nationality": "KHM",
            "is_child": False,
            "screening_agency": "NGO",
            "identified_at": T,
        },
    ),
    "identification.age-assessed": (
        {
            "case_id": CASE,
            "age_band": "12-17",
            "is_child": True,
            "methods": ["interview", "family-confirmed"],
            "agency": "MOSVY",
            "assessed_at": T,
        },
    ),
    "identification.consent-recorded": (
        {"case_id": CASE, "purpose": "sharing-agencies", "given": True, "agency": "MOSVY-POIPET-TC", "recorded_at": T},
    ),
    "identification.personal-data-erased": ({"case_id": CASE, "erased_at": T},),
    "identification.deadline-breached": (
        {
            "case_id": CASE,
            "stage": "determination",
            "agency": "MOSVY",
            "due_at": "2026-11-05T08:15:00Z",
            "breached_at": "2026-11-05T08:16:00Z",
        },
    ),
    "referral.case-opened": (
        {
            "case_id": CASE,
            "referral_case_id": "rc-0001-mosvy",
            "province": "KH-1",
            "sex": "male",
            "age_band": "25-34",
            "nationality": "KHM",
            "is_child": False,
            "needs": ["shelter", "medical", "legal"],
            "exploitation_types": ["forced-labour"],
            "opened_at": T,
        },
    ),
    "referral.offered": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "provider_id": "prov-legal-aid-01",
            "services": ["legal"],
            "respond_by": "2026-11-04T08:15:00Z",
        },
    ),
    "referral.accepted": (
        {"case_id": CASE, "referral_id": "ref-0001-offer", "provider_id": "prov-legal-aid-01", "accepted_at": T},
    ),
    "referral.personal-data-shared": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "provider_id": "prov-legal-aid-01",
            "agency": "NGO",
            "overrides_consent": False,
            "shared_at": T,
        },
    ),
    "referral.declined": (
        {
            "case_id": CASE,
            "referral_id": "ref-0002-offer",
            "provider_id": "prov-shelter-pp-03",
            "reason": "not-eligible",
            "declined_at": T,
        },
    ),
    "referral.deadline-breached": (
        {
            "case_id": CASE,
            "referral_id": "ref-0003-offer",
            "provider_id": "prov-shelter-bb-02",
            "due_at": "2026-11-04T08:15:00Z",
            "breached_at": "2026-11-04T08:16:00Z",
        },
    ),
    "referral.follow-up-deadline-breached": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "provider_id": "prov-shelter-bb-02",
            "due_at": "2027-11-04T08:15:00Z",
            "breached_at": "2027-11-04T08:16:00Z",
        },
    ),
    "referral.visit-deadline-breached": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "provider_id": "prov-shelter-bb-02",
            "due_at": "2027-02-02T17:00:00Z",
            "breached_at": "2027-02-02T17:00:30Z",
        },
    ),
    "referral.placement-deadline-breached": (
        {
            "case_id": CASE,
            "referral_case_id": "rc-0001-mosvy",
            "due_at": "2026-11-11T08:15:00Z",
            "breached_at": "2026-11-11T08:15:30Z",
        },
    ),
    "referral.reintegration-stage-changed": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "stage": "integration",
            "status": "FollowUp",
            "changed_at": T,
        },
    ),
    "referral.service-gap-recorded": (
        {
            "case_id": CASE,
            "need": "shelter",
            "province": "KH-1",
            "sex": "male",
            "age_band": "25-34",
            "exploitation_types": ["forced-labour"],
            "recorded_at": T,
        },
    ),
    "referral.closed": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "status": "Closed",
            "closed_at": T,
            "outcome": "reintegrated",
        },
    ),
    "case.referred": (
        {
            "case_id": CASE,
            "referral_id": "ref-0001-offer",
            "provider_id": "prov-legal-aid-01",
            "provider_type": "legal-aid",
            "services": ["legal"],
            "province": "KH-12",
            "referred_at": T,
        },
    ),
    "case.closed": ({"case_id": CASE, "status": "Closed", "closed_at": T},),
    "repatriation.requested": ({**_REPATRIATION_STEP, "sop_step": 4},),
    "repatriation.verified": ({**_REPATRIATION_STEP, "sop_step": 5, "verified": True},),
    "repatriation.accepted": ({**_REPATRIATION_STEP, "sop_step": 6},),
    "repatriation.refused": ({**_REPATRIATION_STEP, "sop_step": 6, "reason": "nationality-not-confirmed"},),
    "repatriation.handover-scheduled": (
        {
            **_REPATRIATION_STEP,
            "sop_step": 7,
            "handover_id": "ho-mocbai-2026-11",
            "border_gate": "moc-bai-bavet",
            "handover_date": "2026-11-20",
            "batch_size": 24,
        },
    ),
    "repatriation.handed-over": (
        {**_REPATRIATION_STEP, "sop_step": 8, "handover_id": "ho-mocbai-2026-11", "border_gate": "moc-bai-bavet"},
    ),
    "repatriation.withdrawn": ({**_REPATRIATION_STEP, "sop_step": 4, "reason": "consent-withdrawn"},),
    "repatriation.deadline-breached": (
        {**_REPATRIATION_STEP, "sop_step": 5, "deadline": "verification", "due_at": "2026-12-14T00:00:00Z"},
    ),
    "case.repatriated": (
        {
            "case_id": CASE,
            "repatriation_id": REPATRIATION,
            "from_country": "VNM",
            "to_country": "KHM",
            "border_gate": "moc-bai-bavet",
            "repatriated_at": T,
        },
    ),
    "prosecution.court-outcome-recorded": (
        {
            "case_id": CASE,
            "court_case_id": "court-bmc-2026-117",
            "court_province": "KH-1",
            "charges": [{"law_article": "2008 LSHTSE art. 15", "category": "trafficking"}],
            "verdict": "convicted",
            "sentence_months": 84,
            "settlement": False,
            "restitution_ordered_khr": 20000000,
            "restitution_paid_khr": 0,
            "defendant_absconded": False,
            "decided_on": "2026-10-30",
        },
    ),
    "case.prosecuted": (
        {
            "case_id": CASE,
            "court_case_id": "court-bmc-2026-117",
            "category": "trafficking",
            "verdict": "convicted",
            "convicted": True,
            "year": 2026,
        },
    ),
}
