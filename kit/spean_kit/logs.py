"""Structured JSON logs carrying trace and span ids, from which personal data is dropped.

Services log through `extra={...}`; any field whose name is in the personal-data list (names, birth
dates, contacts, documents, and whatever a service adds) is removed before the line is written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from spean_kit.redaction import AccessLogQueries
from spean_kit.telemetry import current_trace_ids

PERSONAL_FIELDS = frozenset(
    {
        "name",
        "names",
        "full_name",
        "given_name",
        "family_name",
        "birth_date",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "contact",
        "contacts",
        "photo",
        "document",
        "documents",
        "document_number",
        "passport_number",
        "national_id",
    }
)
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class PersonalDataFilter(logging.Filter):
    def __init__(self, fields: Iterable[str] = PERSONAL_FIELDS) -> None:
        super().__init__()
        self.fields = frozenset(fields)

    def filter(self, record: logging.LogRecord) -> bool:
        # Only what callers added through `extra`: a record's own attributes (its logger's `name`) stay.
        for name in (self.fields & set(vars(record))) - _STANDARD:
            delattr(record, name)
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ids = current_trace_ids()
        if ids:
            line["trace_id"], line["span_id"] = ids
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, default=str)


class OutboundRequests(logging.Filter):
    """HTTP clients' routine lines name whole URLs (queries included); a service's calls to Keycloak or
    a counterpart are in its traces, so only their warnings and errors are logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.partition(".")[0] not in ("httpx", "httpcore")


def prepared(handler: logging.Handler, service: str, *, extra_personal_fields: Iterable[str] = ()) -> logging.Handler:
    """`handler` as every service's log handler is: JSON lines with trace ids, personal fields dropped,
    query strings' values and clients' URLs kept out."""
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(PersonalDataFilter(PERSONAL_FIELDS | set(extra_personal_fields)))
    handler.addFilter(AccessLogQueries())
    handler.addFilter(OutboundRequests())
    return handler


def configure_logging(service: str, level: str = "INFO", *, extra_personal_fields: Iterable[str] = ()) -> None:
    handler = prepared(logging.StreamHandler(sys.stdout), service, extra_personal_fields=extra_personal_fields)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
