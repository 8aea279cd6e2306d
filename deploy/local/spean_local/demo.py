"""Demo data for `make up`: the directory of providers (with its real gaps: no shelter for adult men)
and a handful of cases at each stage of the journey, entered through the services' own APIs with the
agencies' machine clients. Safe to run again: every step is idempotent."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from spean_contracts.fields import local_today
from spean_local.endpoints import Endpoints

PROVIDERS: list[dict[str, Any]] = [
    {
        "provider_id": "prov-ngo-shelter-01",
        "name": "Demo NGO shelter for women and girls",
        "provider_type": "ngo",
        "services": ["shelter", "medical", "psychosocial", "education", "reintegration-follow-up"],
        "sexes": ["female"],
        "age_min": 10,
        "age_max": 60,
        "provinces": ["KH-12", "KH-1"],
        "capacity": 30,
    },
    {
        "provider_id": "prov-gov-shelter-boys",
        "name": "Demo government shelter for boys",
        "provider_type": "government-shelter",
        "services": ["shelter", "psychosocial", "education"],
        "sexes": ["male"],
        "age_min": 8,
        "age_max": 17,
        "capacity": 20,
    },
    {
        "provider_id": "prov-legal-aid-01",
        "name": "Demo legal aid organisation",
        "provider_type": "legal-aid",
        "services": ["legal"],
        "sexes": ["female", "male", "other", "unknown"],
        "age_min": 0,
        "age_max": 120,
        "capacity": 0,
    },
    {
        "provider_id": "prov-vocational-01",
        "name": "Demo vocational training centre",
        "provider_type": "ngo",
        "services": ["vocational", "reintegration-follow-up"],
        "sexes": ["female", "male"],
        "age_min": 15,
        "age_max": 40,
        "capacity": 50,
    },
]

STATES = [
    "requested",
    "verifying",
    "verified",
    "accepted",
    "handover-scheduled",
    "handed-over",
    "certified",
    "received",
    "reintegrating",
    "closed",
]
"""The demo repatriation's path through the SOP, in order: the seed takes it up to `handed-over`; someone
trying the platform may have taken it further since."""

LABOUR = {"acts": ["recruitment", "transport"], "means": ["deception", "debt-bondage"], "purposes": ["forced-labour"]}
SEXUAL = {"acts": ["recruitment", "selling"], "means": ["deception"], "purposes": ["sexual"]}
# Fictional people: the demo holds no real person's data.
CASES: list[dict[str, Any]] = [
    {
        "key": "demo-1",
        "names": ["Demo Sokha"],
        "sex": "male",
        "birth_date": "1994-03-02",
        "indicators": {"acts": ["transport"]},
        "stage": "screened",
    },
    {
        "key": "demo-2",
        "names": ["Demo Srey Pov"],
        "sex": "female",
        "birth_date": "2009-07-15",
        "indicators": SEXUAL,
        "stage": "identified",
    },
    {
        "key": "demo-3",
        "names": ["Demo Channary"],
        "sex": "female",
        "birth_date": "2001-11-20",
        "indicators": SEXUAL,
        "stage": "referred",
    },
    {
        "key": "demo-4",
        "names": ["Demo Bopha"],
        "sex": "female",
        "birth_date": "1999-05-09",
        "indicators": LABOUR,
        "stage": "prosecuted",
    },
    {
        "key": "demo-5",
        "names": ["Demo Vuthy"],
        "sex": "male",
        "birth_date": "1990-01-30",
        "indicators": LABOUR,
        "stage": "identified",
    },
]


class Demo:
    def __init__(self, endpoints: Endpoints, urls: dict[str, str]) -> None:
        self.endpoints = endpoints
        self.urls = urls
        self.http = httpx.Client(timeout=30)

    def headers(self, client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.endpoints.client_token(client_id)['access_token']}"}

    def call(
        self,
        method: str,
        service: str,
        path: str,
        client_id: str,
        *,
        ok: tuple[int, ...] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx.Response:
        answer = self.http.request(
            method,
            self.urls[service] + path,
            headers={**self.headers(client_id), **kwargs.pop("headers", {})},
            **kwargs,
        )
        if answer.status_code not in ok:
            raise RuntimeError(
                f"demo seed: {method} {service}{path} answered {answer.status_code}: {answer.text[:300]}"
            )
        return answer

    def wait_for_referral_case(self, case_id: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.call("GET", "referral", f"/cases/{case_id}", "mosvy-case-system", ok=(200, 404)).status_code == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"demo seed: the referral case of {case_id} did not open")

    def case(self, spec: dict[str, Any]) -> str:
        screening = {
            "encountered_at": "2026-11-02T07:30:00+07:00",
            "encounter": "deportee-transit",
            "province": "KH-1",
            "person": {
                "names": spec["names"],
                "birth_date": spec["birth_date"],
                "sex": spec["sex"],
                "nationality": "KHM",
            },
            "indicators": spec["indicators"],
            "continuum": "C",
        }
        recorded = self.call(
            "POST",
            "identification",
            "/screenings",
            "poipet-tc-system",
            json=screening,
            headers={"Idempotency-Key": spec["key"]},
        )
        case_id: str = recorded.json()["case_id"]
        if spec["stage"] == "screened":
            return case_id
        self.identify(case_id, list(spec["indicators"]["purposes"]), "demo: act, means and purpose present")
        if spec["stage"] == "identified":
            return case_id
        self.wait_for_referral_case(case_id)
        offers = self.call("GET", "referral", "/referrals", "mosvy-case-system", params={"case_id": case_id}).json()
        if not offers:
            offer = {"provider_id": "prov-ngo-shelter-01", "services": ["shelter"]}
            referral_id = self.call(
                "POST", "referral", f"/cases/{case_id}/offers", "mosvy-case-system", json=offer
            ).json()["referral_id"]
            self.call("POST", "referral", f"/referrals/{referral_id}/accept", "ngo-shelter-system")
        if spec["stage"] == "prosecuted":
            outcome = {
                "case_id": case_id,
                "court_case_id": f"court-{spec['key']}",
                "court_province": "KH-1",
                "charges": [{"law_article": "2008 LSHTSE art. 15", "category": "trafficking"}],
                "verdict": "convicted",
                "sentence_months": 96,
                "restitution_ordered_khr": 10_000_000,
                "decided_on": "2026-10-30",
            }
            self.call("POST", "registry", "/court-outcomes", "moj-court-system", json=outcome, ok=(201, 409))
        return case_id

    def identify(self, case_id: str, exploitation: list[str], reason: str) -> None:
        """MoSVY determines the case a trafficking victim's (once: a case already determined stays so)."""
        determination = {"outcome": "trafficking-victim", "reasons": [reason], "exploitation_types": exploitation}
        self.call(
            "POST",
            "identification",
            f"/cases/{case_id}/determination",
            "mosvy-case-system",
            json=determination,
            ok=(201, 409),
        )

    def state(self, service: str, client_id: str, reference: str) -> int:
        """How far the case has come on one side, as an index into STATES (-1: not known there)."""
        answer = self.call("GET", service, f"/repatriations/{reference}", client_id, ok=(200, 404))
        if answer.status_code == 404:
            return -1
        state = answer.json()["state"]
        if state not in STATES:
            raise RuntimeError(f"demo seed: the demo return {reference} is {state} in {service}; the demo cannot go on")
        return STATES.index(state)

    def wait_for_state(self, service: str, client_id: str, reference: str, state: str) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reached = self.state(service, client_id, reference)
            if reached >= STATES.index(state):
                return reached
            time.sleep(0.3)
        raise RuntimeError(f"demo seed: {reference} did not become {state} in {service}")

    def repatriation(self) -> str:
        """A Cambodian woman found in Viet Nam, returned at Moc Bai / Bavet: Viet Nam's instance (D) and
        Cambodia's (O) run the SOP up to the handover minutes, so `case.repatriated` reaches the registry.
        A seed interrupted half-way resumes where the case stands."""
        known = self.call("GET", "repatriation-vn", "/repatriations", "vn-mps-system").json()
        # One refused or withdrawn while someone tried the platform is over: the demo asks again.
        going = [row for row in known if row["state"] in STATES]
        reference = str(going[0]["reference"]) if going else self.request_return()
        kh, vn = ("repatriation", "mosvy-case-system"), ("repatriation-vn", "vn-mps-system")
        if self.wait_for_state(*kh, reference, "requested") < STATES.index("verified"):
            verified = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
            self.call("POST", "repatriation", f"/repatriations/{reference}/verification-result", kh[1], json=verified)
        if self.state(*kh, reference) < STATES.index("accepted"):
            accepted = {"travel_document_issued": True}
            self.call("POST", "repatriation", f"/repatriations/{reference}/acceptance", kh[1], json=accepted)
        if self.wait_for_state(*vn, reference, "accepted") < STATES.index("handover-scheduled"):
            handover = {
                "references": [reference],
                "border_gate": "moc-bai-bavet",
                "handover_date": (local_today() + timedelta(days=3)).isoformat(),
            }
            self.call("POST", "repatriation-vn", "/handovers", vn[1], json=handover)
        if self.state(*vn, reference) < STATES.index("handed-over"):
            handover_id = self.call("GET", "repatriation-vn", f"/repatriations/{reference}", vn[1]).json()[
                "handover_id"
            ]
            minutes = {"handed_over_at": datetime.now(UTC).isoformat()}
            self.call("POST", "repatriation-vn", f"/handovers/{handover_id}/minutes", vn[1], json=minutes)
        self.wait_for_state(*kh, reference, "handed-over")
        return reference

    def screen_on_arrival(self, reference: str) -> str:
        """The returnee screened on arrival at the Bavet transit centre (SOP step 9) and identified by MoSVY,
        in the case her return opened; the screening waits until identification knows of the handover."""
        case_id = str(
            self.call("GET", "repatriation", f"/repatriations/{reference}", "mosvy-case-system").json()["case_id"]
        )
        screening = {
            "encountered_at": datetime.now(UTC).isoformat(),
            "encounter": "repatriation",
            "repatriation_id": reference,
            "province": "KH-20",
            "person": {"names": ["Demo Returnee"], "estimated_age": 24, "sex": "female", "nationality": "KHM"},
            "indicators": {"acts": ["recruitment", "transport"], "means": ["deception"], "purposes": ["forced-labour"]},
            "continuum": "B",
        }
        deadline = time.monotonic() + 60
        while True:
            answer = self.call(
                "POST", "identification", "/screenings", "bavet-tc-system", json=screening, ok=(201, 409)
            )
            if answer.status_code == 201 or answer.json()["type"].endswith("return-screened"):
                break
            if not answer.json()["type"].endswith("return-unknown") or time.monotonic() > deadline:
                raise RuntimeError(f"demo seed: the screening on arrival of {reference} answered {answer.text[:300]}")
            time.sleep(0.5)
        self.identify(case_id, ["forced-labour"], "demo: deceived into forced labour abroad")
        return case_id

    def request_return(self) -> str:
        request = {
            "case_id": "case-vn-demo-0001",
            "origin_country": "KHM",
            "person": {
                "names": ["Demo Returnee"],
                "sex": "female",
                "estimated_age": 24,
                "claimed_nationality": "KHM",
                "place_of_origin": "Demo village, Prey Veng",
                "is_child": False,
            },
            "consent": {"purpose": "sharing-cross-border", "given_by": "person", "recorded_at": "2026-11-01T09:00:00Z"},
            "exploitation_types": ["forced-labour"],
        }
        return str(
            self.call("POST", "repatriation-vn", "/repatriations", "vn-mps-system", json=request).json()["reference"]
        )


def seed(endpoints: Endpoints, urls: dict[str, str]) -> str:
    demo = Demo(endpoints, urls)
    for provider in PROVIDERS:
        demo.call("PUT", "referral", f"/providers/{provider['provider_id']}", "mosvy-case-system", json=provider)
    cases = {spec["key"]: demo.case(spec) for spec in CASES}
    listed = ", ".join(
        f"{key} {case_id} ({spec['stage']})" for (key, case_id), spec in zip(cases.items(), CASES, strict=True)
    )
    returned = demo.repatriation()
    arrived = demo.screen_on_arrival(returned)
    return (
        f"demo data: {len(PROVIDERS)} providers; cases {listed}; "
        f"repatriation {returned} (handed over, screened on arrival and identified in {arrived})"
    )
