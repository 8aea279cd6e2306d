"""What the console reads from the collector's Prometheus exposition of the services' metrics: the
outbox backlog of each service (the kit's `spean.outbox.backlog` gauge, one series per instance), the
time left on the cross-border exchange's certificates (repatriation's `spean.certificate.validity`) and
whether each audit trail was last found as written (the kit's `spean.audit.intact`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SERIES = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$")
_LABEL = re.compile(r'(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>[^"]*)"')
DAY = 86400


def _series(exposition: str, name: str) -> Iterator[tuple[dict[str, str], float]]:
    for line in exposition.splitlines():
        series = _SERIES.match(line.strip())
        if series is not None and series["name"] == name:
            yield {label["name"]: label["value"] for label in _LABEL.finditer(series["labels"])}, float(series["value"])


def _service(labels: dict[str, str]) -> str:
    return labels.get("service_name", "unknown").removeprefix("spean-")


def outbox_backlogs(exposition: str) -> dict[str, int]:
    """Rows waiting in each service's outbox, summed over its instances, keyed by service name."""
    backlogs: dict[str, int] = {}
    for labels, value in _series(exposition, "spean_outbox_backlog"):
        backlogs[_service(labels)] = backlogs.get(_service(labels), 0) + int(value)
    return dict(sorted(backlogs.items()))


def certificate_validity(exposition: str) -> list[dict[str, str | int]]:
    """Each certificate of each repatriation service with the whole days it has left (negative once
    ended; the least any instance reports), the soonest to end first."""
    left: dict[tuple[str, str, str], float] = {}
    for labels, value in _series(exposition, "spean_certificate_validity_seconds"):
        key = (_service(labels), labels.get("certificate_holder", ""), labels.get("certificate_subject", ""))
        left[key] = min(value, left.get(key, value))
    return [
        {"service": service, "holder": holder, "subject": subject, "days_left": int(seconds // DAY)}
        for (service, holder, subject), seconds in sorted(left.items(), key=lambda item: item[1])
    ]


def audit_trails(exposition: str) -> list[dict[str, str | bool]]:
    """Each service's audit trail and whether it is intact: not if any instance last found it tampered
    with. Tampered trails first."""
    intact: dict[tuple[str, str], bool] = {}
    for labels, value in _series(exposition, "spean_audit_intact"):
        key = (_service(labels), labels.get("audit_trail", ""))
        intact[key] = intact.get(key, True) and value == 1
    return [
        {"service": service, "trail": trail, "intact": whole}
        for (service, trail), whole in sorted(intact.items(), key=lambda item: (item[1], item[0]))
    ]
