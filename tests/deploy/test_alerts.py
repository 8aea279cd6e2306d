"""The alerting rules (deploy/k8s/base/alerts.yaml) evaluated by promtool on series shaped as the collector
exports the services' metrics: each alert fires on the failure it names, with the summary an operator
reads, and stays silent while things go well."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import ROOT, installed

ALERTS = ROOT / "deploy" / "k8s" / "base" / "alerts.yaml"
REGISTRY = {"service_name": "spean-registry", "instance": "a"}


def _rules() -> dict[str, Any]:
    documents = [d for d in yaml.safe_load_all(ALERTS.read_text()) if d]
    rule: dict[str, Any] = next(d for d in documents if d["kind"] == "PrometheusRule")["spec"]
    return rule


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inside = ", ".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{inside}}}", "values": values}


@dataclass
class Case:
    """Series over time (one sample a minute), and the alerts expected at `minute`: each its labels (beyond
    `alertname` and `severity`) and its summary."""

    alert: str
    series: list[dict[str, str]]
    minute: int
    fired: list[tuple[dict[str, str], str]] = field(default_factory=list)


def _case(case: Case, rules: dict[str, Any]) -> dict[str, Any]:
    rule = next(r for group in rules["groups"] for r in group["rules"] if r["alert"] == case.alert)
    return {
        "interval": "1m",
        "input_series": case.series,
        "alert_rule_test": [
            {
                "eval_time": f"{case.minute}m",
                "alertname": case.alert,
                "exp_alerts": [
                    {
                        "exp_labels": {**labels, "severity": rule["labels"]["severity"]},
                        "exp_annotations": {"summary": summary, "description": rule["annotations"]["description"]},
                    }
                    for labels, summary in case.fired
                ],
            }
        ],
    }


def _holds(cases: list[Case], tmp_path: Path) -> None:
    rules = _rules()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [_case(c, rules) for c in cases]}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    _promtool("test", "rules", tmp_path / "tests.yaml")


def _promtool(*arguments: str | Path) -> None:
    result = subprocess.run([installed("promtool"), *map(str, arguments)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_are_valid_prometheus_rules(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_rules()))
    _promtool("check", "rules", tmp_path / "rules.yaml")


def test_a_tampered_audit_trail_pages_at_once(tmp_path: Path) -> None:
    trail = {**REGISTRY, "audit_trail": "audit_log"}
    labels = {"service_name": "spean-registry", "audit_trail": "audit_log"}
    _holds(
        [
            Case("SpeanAuditTrailTampered", [_series("spean_audit_intact", trail, "1 1 0 0")], 1),
            Case(
                "SpeanAuditTrailTampered",
                [_series("spean_audit_intact", trail, "1 1 0 0")],
                3,
                [(labels, "spean-registry: audit trail audit_log is no longer as written")],
            ),
        ],
        tmp_path,
    )


def test_a_trail_with_fewer_entries_than_before_pages_and_a_replica_behind_by_a_round_does_not(
    tmp_path: Path,
) -> None:
    labels = {"service_name": "spean-registry", "audit_trail": "audit_log"}

    def entries(instance: str, values: str) -> dict[str, str]:
        return _series("spean_audit_entries", {**labels, "instance": instance}, values)

    # The old process's series ends as the collector forgets it: Prometheus marks it stale.
    restarted = [entries("a", "40 41 41 stale _ _"), entries("b", "_ _ _ 38 38 38")]
    behind = [entries("a", "40 41 45 45 45 45"), entries("b", "40 40 40 41 41 45")]
    summary = "spean-registry: audit trail audit_log holds fewer entries than it did"
    _holds(
        [
            Case("SpeanAuditTrailShrank", restarted, 2),
            Case("SpeanAuditTrailShrank", restarted, 4, [(labels, summary)]),
            Case("SpeanAuditTrailShrank", behind, 4),
        ],
        tmp_path,
    )


@pytest.mark.parametrize("values", ["0 0 0 1 1 1", "_ _ _ 1 1 1"], ids=["counted-from-zero", "first-seen-at-one"])
def test_a_dead_lettered_event_is_told_even_the_first_a_process_sends(values: str, tmp_path: Path) -> None:
    """A process's counter appears with its first dead letter: its first sample is already 1."""
    labels = {"service_name": "spean-registry", "consumer_group": "spean-registry", "topic": "spean.identification.v1"}
    letters = _series("spean_events_dead_lettered_total", {**REGISTRY, **labels}, values)
    summary = "spean-registry sent events of spean.identification.v1 to the dead-letter topic"
    _holds(
        [
            Case("SpeanEventsDeadLettered", [letters], 2),
            Case("SpeanEventsDeadLettered", [letters], 5, [(labels, summary)]),
        ],
        tmp_path,
    )


# Silent again once nothing more was refused for 15 minutes.
@pytest.mark.parametrize("values", ["_x3 1x30", "_x3 2 3x30"], ids=["first-seen-at-one", "counted-on"])
def test_a_message_the_counterpart_refused_is_told_even_the_first_a_process_sees(values: str, tmp_path: Path) -> None:
    labels = {
        "service_name": "spean-repatriation",
        "counterpart": "VNM",
        "kind": "verification-result",
        "reason": "broken-chain",
    }
    refused = _series("spean_crossborder_refused_total", {**labels, "instance": "a"}, values)
    _holds(
        [
            Case("SpeanCrossBorderRefused", [refused], 2),
            Case(
                "SpeanCrossBorderRefused",
                [refused],
                5,
                [(labels, "VNM refused a verification-result message (broken-chain)")],
            ),
            Case("SpeanCrossBorderRefused", [refused], 25),
        ],
        tmp_path,
    )


def test_an_outbox_that_stops_draining_pages_after_ten_minutes_and_a_busy_one_does_not(tmp_path: Path) -> None:
    stuck = _series("spean_outbox_backlog", REGISTRY, "0 5 6 7 8 9 10 11 12 13 14 15 16 17")
    busy = _series("spean_outbox_backlog", REGISTRY, "0 40 0 35 0 0 50 0 20 0 0 30 0 0")
    summary = "spean-registry has had events waiting to be published for 10 minutes"
    _holds(
        [
            Case("SpeanOutboxNotDraining", [stuck], 8),
            Case("SpeanOutboxNotDraining", [stuck], 12, [({"service_name": "spean-registry"}, summary)]),
            Case("SpeanOutboxNotDraining", [busy], 12),
        ],
        tmp_path,
    )


def test_a_consumer_whose_lag_does_not_shrink_is_told_and_one_catching_up_is_not(tmp_path: Path) -> None:
    labels = {"consumer_group": "spean-referral", "topic": "spean.identification.v1"}
    lagging = {**REGISTRY, **labels, "partition": "0"}
    stuck = _series("spean_consumer_lag", lagging, "0 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3")
    catching_up = _series("spean_consumer_lag", lagging, "900 850 800 750 700 650 600 550 500 450 400 350 300 250 200")
    summary = "spean-referral has not caught up on spean.identification.v1 for 20 minutes"
    _holds(
        [
            Case("SpeanConsumerStuck", [stuck], 22, [(labels, summary)]),
            Case("SpeanConsumerStuck", [catching_up], 14),
        ],
        tmp_path,
    )


def _requests(status: str, values: str, route: str = "/screenings") -> dict[str, str]:
    labels = {**REGISTRY, "http_route": route, "http_response_status_code": status}
    return _series("http_server_request_duration_seconds_count", labels, values)


def test_a_service_answering_503_for_ten_minutes_pages_and_a_single_500_is_told(tmp_path: Path) -> None:
    unavailable = _requests("503", "0 4 8 12 16 20 24 28 32 36 40 44 48")
    error = _requests("500", "_ _ _ 1 1 1", route="/court-outcomes")
    _holds(
        [
            Case(
                "SpeanServiceUnavailable",
                [unavailable],
                11,
                [({"service_name": "spean-registry"}, "spean-registry has answered 503 for 10 minutes")],
            ),
            Case("SpeanServerErrors", [unavailable], 11),
            Case(
                "SpeanServerErrors",
                [error, _requests("200", "0 10 20 30 40 50")],
                5,
                [
                    (
                        {"service_name": "spean-registry", "http_route": "/court-outcomes"},
                        "spean-registry answered a server error at /court-outcomes",
                    )
                ],
            ),
        ],
        tmp_path,
    )


@pytest.mark.parametrize("le", ["1", "1.0"], ids=["as-exported", "as-prometheus-3-reads-it"])
def test_an_event_loop_blocked_over_a_second_is_told_and_short_pauses_are_not(le: str, tmp_path: Path) -> None:
    def stalls(count: str, under_a_second: str) -> list[dict[str, str]]:
        name = "spean_event_loop_stall_seconds"
        return [
            _series(f"{name}_count", REGISTRY, count),
            _series(f"{name}_bucket", {**REGISTRY, "le": le}, under_a_second),
        ]

    summary = "spean-registry blocked its event loop for more than a second"
    _holds(
        [
            Case("SpeanEventLoopBlocked", stalls("0 60 120 180", "0 60 120 180"), 3),
            Case(
                "SpeanEventLoopBlocked",
                stalls("0 60 121 181", "0 60 120 180"),
                3,
                [({"service_name": "spean-registry"}, summary)],
            ),
        ],
        tmp_path,
    )


def test_a_cross_border_certificate_is_told_a_month_before_it_ends_and_pages_a_week_before(tmp_path: Path) -> None:
    labels = {
        "service_name": "spean-repatriation",
        "certificate_holder": "counterpart VNM",
        "certificate_subject": "repatriation.vnm.spean.test",
    }
    day = 86400

    def left(days: int) -> list[dict[str, str]]:
        return [_series("spean_certificate_validity_seconds", {**labels, "instance": "a"}, f"{days * day}")]

    subject = "The cross-border certificate of repatriation.vnm.spean.test ends within"
    _holds(
        [
            Case("SpeanCertificateEnding", left(45), 0),
            Case("SpeanCertificateEnding", left(20), 0, [(labels, f"{subject} 30 days")]),
            Case("SpeanCertificateEndingSoon", left(20), 0),
            Case("SpeanCertificateEndingSoon", left(5), 0, [(labels, f"{subject} 7 days")]),
        ],
        tmp_path,
    )


def test_a_service_that_sends_no_metrics_pages(tmp_path: Path) -> None:
    running = ("identification", "referral", "registry", "repatriation")
    sending = [_series("target_info", {"job": f"spean/spean-{name}", "instance": "a"}, "1x10") for name in running]
    operations = _series("target_info", {"job": "spean/spean-operations", "instance": "a"}, "1x10")
    silent = {"job": "spean/spean-operations"}
    _holds(
        [
            Case("SpeanServiceSilent", [*sending, operations], 8),
            Case("SpeanServiceSilent", sending, 8, [(silent, f"{silent['job']} has sent no metrics for 5 minutes")]),
        ],
        tmp_path,
    )
