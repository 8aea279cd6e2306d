"""Log lines are JSON with trace ids, and personal data handed to a logger never reaches the output."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from spean_kit.logs import JsonFormatter, PersonalDataFilter


def test_personal_fields_are_dropped_and_trace_ids_kept() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("identification"))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    tracer = TracerProvider().get_tracer("test")
    try:
        with tracer.start_as_current_span("screening") as span:
            logger.warning(
                "screening stored",
                extra={
                    "case_id": "case-0001",
                    "full_name": "Sok Dara",
                    "birth_date": "2001-02-03",
                    "phone": "012345678",
                },
            )
    finally:
        logger.removeHandler(handler)

    line = json.loads(out.getvalue())
    assert line["message"] == "screening stored"
    assert line["case_id"] == "case-0001"
    assert line["service"] == "identification"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    for secret in ("Sok Dara", "2001-02-03", "012345678"):
        assert secret not in out.getvalue()
