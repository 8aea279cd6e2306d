"""The alerting rules (deploy/k8s/base/alerts.yaml) read metrics the services really export: each metric a
rule names, each label it groups by or matches on, is in the collector's exposition while the platform
runs. A rule naming a metric nobody exports never fires, and says nothing.

The two certificate rules read repatriation's gauge (`spean_certificate_validity_seconds`, by
`certificate_holder` and `certificate_subject`), which this platform does not run; the console's
certificate panel reads the same series. The rule on refused cross-border messages reads repatriation's
counter too: its export is checked where a counterpart refuses one (repatriation's withdrawal tests)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml
from aiokafka import AIOKafkaProducer

from spean_contracts.registry import IDENTIFICATION
from spean_local.endpoints import Endpoints
from tests.support.app import eventually
from tests.support.platform import Platform, screening

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "alerts.yaml"
ELSEWHERE = {"SpeanCertificateEnding", "SpeanCertificateEndingSoon", "SpeanCrossBorderRefused"}
METRIC = re.compile(r"\b(spean_\w+|http_server_\w+|target_info)\b")
GROUPED_BY = re.compile(r"\bby \(([^)]*)\)")
SELECTOR = re.compile(r"\b(\w+)\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(?:=~|!=|=)\s*"([^"]*)"')
SERIES = re.compile(r"^(\w+)\{(.*)\} ")
LABEL = re.compile(r'(\w+)="')

Wanted = dict[str, set[str]]


def _wanted() -> tuple[Wanted, set[str]]:
    """Each metric the rules read, with the labels they need of it; and the jobs they expect to hear from."""
    documents = [d for d in yaml.safe_load_all(ALERTS.read_text()) if d]
    rules = next(d for d in documents if d["kind"] == "PrometheusRule")["spec"]["groups"][0]["rules"]
    wanted: Wanted = defaultdict(set)
    jobs: set[str] = set()
    for rule in rules:
        if rule["alert"] in ELSEWHERE:
            continue
        expr = rule["expr"]
        grouped = {label.strip() for found in GROUPED_BY.findall(expr) for label in found.split(",")}
        for metric in METRIC.findall(expr):
            wanted[metric] |= grouped
        for metric, matchers in SELECTOR.findall(expr):
            for label, value in MATCHER.findall(matchers):
                wanted[metric].add(label)
                if label == "job":
                    jobs.add(value)
    return wanted, jobs


def _exported(exposition: str) -> tuple[Wanted, set[str]]:
    """Each metric of the collector's exposition with the labels its series carry; and the jobs reporting."""
    exported: Wanted = defaultdict(set)
    jobs = set()
    for line in exposition.splitlines():
        if found := SERIES.match(line):
            exported[found[1]] |= set(LABEL.findall(found[2]))
            jobs |= {value for label, value in MATCHER.findall(found[2]) if label == "job"}
    return exported, jobs


async def test_every_metric_and_label_the_alerting_rules_read_is_exported(
    platform: Platform, servers: Endpoints, machine_token: Callable[[str], str]
) -> None:
    screened = await platform.identification.post(
        "/screenings",
        json=screening("Alert Example"),
        headers={"Authorization": f"Bearer {machine_token('poipet-tc-system')}"},
    )
    assert screened.status_code == 201, screened.text
    # A record that is no event: its consumers send it to the dead-letter topic, and count it.
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(platform.namespace + IDENTIFICATION.name, b"not an event", key=b"case-poison0")
    finally:
        await producer.stop()

    wanted, jobs = _wanted()
    running = {"spean/spean-identification", "spean/spean-referral", "spean/spean-registry"}
    assert running < jobs
    missing: list[str] = []

    async def all_exported() -> bool:
        async with httpx.AsyncClient() as client:
            exported, reporting = _exported((await client.get(servers.metrics_url)).text)
        missing[:] = [
            f"{metric}{sorted(labels - exported[metric])}"
            for metric, labels in sorted(wanted.items())
            if metric not in exported or not labels <= exported[metric]
        ] + sorted(running - reporting)
        return not missing

    try:
        await eventually(all_exported, what="every metric and label the rules read")
    finally:
        assert missing == []
