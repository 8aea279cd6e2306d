"""Everything the services under test report about themselves, kept for a privacy scan: each span
(name, attributes, events, resource) and each log line as the services' own JSON log handler writes it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spean_kit.logs import PERSONAL_FIELDS, prepared

# Shapes of personal data that no test value needs to name: an e-mail address, a phone number.
SHAPES = {
    "e-mail address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"\+\d{1,3}[ -]?\d{2,3}[ -]?\d{3}[ -]?\d{3,4}\b"),
}


# OpenTelemetry's own attributes whose last part reads like personal data but names a machine.
MACHINE_ADDRESSES = frozenset({"server.address", "client.address", "network.peer.address", "network.local.address"})


class _Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines
        # Prepared as the services' own handler is: what the scan reads is what they would write.
        prepared(self, "under-test")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class TelemetrySink:
    spans: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    lines: list[str] = field(default_factory=list)

    def capture_logs(self) -> logging.Handler:
        handler = _Lines(self.lines)
        logging.getLogger().addHandler(handler)
        return handler

    def _items(self) -> list[tuple[str, set[str]]]:
        """Each span and log line as text, with the field names it carries (for spans, the last part of
        each attribute key: OpenTelemetry's `service.name` or `messaging.destination.name` are not a
        person's name, so `name` alone is not held against a span, nor `server.address` and its kin)."""
        items = []
        for span in self.spans.get_finished_spans():
            attributes = dict(span.attributes or {})
            events = [(event.name, dict(event.attributes or {})) for event in span.events]
            named = [*attributes, *(key for _, event_attributes in events for key in event_attributes)]
            keys = {key.rsplit(".", 1)[-1] for key in named if key not in MACHINE_ADDRESSES}
            text = json.dumps([span.name, attributes, events, dict(span.resource.attributes)], default=str)
            items.append((text, keys - {"name"}))
        items += [(line, set(json.loads(line))) for line in self.lines]
        return items

    def leaks(self, apps: Iterable[FastAPI], personal: Iterable[str]) -> list[str]:
        """Every span and log line so far that names one of `personal` (case-insensitive), carries a
        field named like personal data, or holds an e-mail address or a phone number."""
        for app in apps:
            app.state.telemetry.tracer_provider.force_flush()
        # As written, and as a URL would carry it ("Journey+Example", "Journey%20Example").
        values = sorted({form.lower() for value in personal for form in (value, quote_plus(value), quote(value))})
        found = []
        for text, keys in self._items():
            named = [value for value in values if value in text.lower()]
            fields = sorted(keys & PERSONAL_FIELDS)
            shapes = [shape for shape, pattern in SHAPES.items() if pattern.search(text)]
            if named or fields or shapes:
                found.append(f"{named + fields + shapes}: {text[:300]}")
        return found

    def __len__(self) -> int:
        return len(self.spans.get_finished_spans()) + len(self.lines)


@pytest.fixture(scope="session")
def telemetry_sink() -> Iterator[TelemetrySink]:
    """Every span and log line (at the services' production level, INFO) of the tests that use it."""
    sink = TelemetrySink()
    root = logging.getLogger()
    level = root.level
    handler = sink.capture_logs()
    root.setLevel(logging.INFO)
    yield sink
    root.removeHandler(handler)
    root.setLevel(level)
