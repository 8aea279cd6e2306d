"""The outbox backlog of each service, read from the collector's Prometheus exposition of the kit's
`spean.outbox.backlog` gauge (one series per service instance)."""

from __future__ import annotations

import re

_SERIES = re.compile(r"^spean_outbox_backlog\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$")
_SERVICE = re.compile(r'(?:^|,)service_name="(?P<name>[^"]*)"')


def outbox_backlogs(exposition: str) -> dict[str, int]:
    """Rows waiting in each service's outbox, summed over its instances, keyed by service name."""
    backlogs: dict[str, int] = {}
    for line in exposition.splitlines():
        series = _SERIES.match(line.strip())
        if series is None:
            continue
        service = _SERVICE.search(series["labels"])
        name = service["name"].removeprefix("spean-") if service else "unknown"
        backlogs[name] = backlogs.get(name, 0) + int(float(series["value"]))
    return dict(sorted(backlogs.items()))
