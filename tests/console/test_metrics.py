"""What the console reads from the collector's metrics: each service's outbox backlog, the days left on
each certificate of the cross-border exchange, and whether each audit trail is intact."""

from __future__ import annotations

from spean_operations.domain.metrics import audit_trails, certificate_validity, outbox_backlogs


def series(name: str, value: float, **labels: str) -> str:
    return name + "{" + ",".join(f'{label}="{text}"' for label, text in labels.items()) + "} " + str(value)


def certificate(value: float, holder: str, subject: str, instance: str, service: str) -> str:
    labels = {"certificate_holder": holder, "certificate_subject": subject, "instance": instance}
    return series("spean_certificate_validity_seconds", value, **labels, service_name=service)


KHM, VNM_OLD = "repatriation.khm.spean.test", "old.vnm.spean.test"
EXPOSITION = "\n".join(
    [
        "# HELP spean_certificate_validity_seconds Seconds until the certificate ends",
        "# TYPE spean_certificate_validity_seconds gauge",
        certificate(3.1536e07, "own", KHM, "a", "spean-repatriation"),
        certificate(864000, "counterpart VNM", VNM_OLD, "a", "spean-repatriation"),
        certificate(863000, "counterpart VNM", VNM_OLD, "b", "spean-repatriation"),
        certificate(-90000, "counterpart KHM", KHM, "c", "spean-repatriation-vn"),
        series("spean_outbox_backlog", 3, instance="a", service_name="spean-repatriation"),
        series("spean_outbox_backlog", 4, instance="b", service_name="spean-repatriation"),
        series("spean_outbox_backlog", 0, instance="d", service_name="spean-identification"),
    ]
)


def test_each_certificate_shows_the_fewest_days_any_instance_reports_the_soonest_to_end_first() -> None:
    assert certificate_validity(EXPOSITION) == [
        {
            "service": "repatriation-vn",
            "holder": "counterpart KHM",
            "subject": "repatriation.khm.spean.test",
            "days_left": -2,
        },
        {"service": "repatriation", "holder": "counterpart VNM", "subject": "old.vnm.spean.test", "days_left": 9},
        {"service": "repatriation", "holder": "own", "subject": "repatriation.khm.spean.test", "days_left": 365},
    ]


def test_each_service_s_outbox_backlog_sums_its_instances() -> None:
    assert outbox_backlogs(EXPOSITION) == {"identification": 0, "repatriation": 7}


def test_a_trail_any_instance_found_tampered_with_is_shown_tampered_and_first() -> None:
    def intact(value: int, trail: str, instance: str, service: str) -> str:
        return series("spean_audit_intact", value, audit_trail=trail, instance=instance, service_name=service)

    exposition = "\n".join(
        [
            intact(1, "access_audit", "a", "spean-identification"),
            intact(1, "person_read", "b", "spean-repatriation"),
            intact(0, "person_read", "c", "spean-repatriation"),
        ]
    )
    assert audit_trails(exposition) == [
        {"service": "repatriation", "trail": "person_read", "intact": False},
        {"service": "identification", "trail": "access_audit", "intact": True},
    ]
