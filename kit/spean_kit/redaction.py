"""Query strings kept out of traces and logs. A read states its purpose as a query parameter, and a
purpose is free text that may name a person ("Sokha's court file"): the parameters' names are kept for
operators, their values replaced, as OpenTelemetry's conventions do for sensitive query values."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from opentelemetry.trace import Span

REDACTED = "REDACTED"


def redacted_query(query: str) -> str:
    """'purpose=court+file&by=year' -> 'purpose=REDACTED&by=REDACTED'."""
    return "&".join(f"{name}={REDACTED}" for name, _ in parse_qsl(query, keep_blank_values=True))


def redacted_target(target: str) -> str:
    """A request target with its query's values replaced: '/cases/c-1?purpose=x' -> '/cases/c-1?purpose=REDACTED'."""
    path, separator, query = target.partition("?")
    return f"{path}?{redacted_query(query)}" if separator else path


# Where the instrumentation puts the query, under the stable conventions and the older ones (which a
# deployment may still choose, or emit both of).
_QUERY_BEARING = ("url.query", "http.target", "http.url")


def redact_request_span(span: Span, scope: dict[str, Any]) -> None:
    """The HTTP server span's hook, run once its attributes are set: the query's values never stay."""
    attributes = getattr(span, "attributes", None) or {}
    if not span.is_recording() or not scope.get("query_string"):
        return
    for key in _QUERY_BEARING:
        value = attributes.get(key)
        if isinstance(value, str):
            redacted = redacted_query(value) if key == "url.query" else redacted_target(value)
            span.set_attribute(key, redacted)


class AccessLogQueries(logging.Filter):
    """Uvicorn's access log line names the whole target (`GET /path?query HTTP/1.1`): keep its path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, target, version, status = record.args
            record.args = (client, method, redacted_target(str(target)), version, status)
        return True
