"""What operators find in the trace store: requests and events with their queries, not the thousands
of lone queries the relay and the deadline scans make while polling; and no query string's values."""

from __future__ import annotations

import logging

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from spean_kit.redaction import AccessLogQueries, redact_request_span
from spean_kit.settings import ServiceSettings
from spean_kit.telemetry import setup_telemetry


def test_a_query_outside_any_request_is_not_traced_but_one_inside_is() -> None:
    settings = ServiceSettings(
        service_name="sampling",
        database_url="postgresql://unused/none",
        kafka_bootstrap="unused:9092",
        keycloak_url="http://unused",
    )
    telemetry = setup_telemetry(settings)
    exporter = InMemorySpanExporter()
    telemetry.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = telemetry.tracer

    with tracer.start_as_current_span("SELECT outbox", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("POST /screenings", kind=SpanKind.SERVER),
        tracer.start_as_current_span("INSERT screening", kind=SpanKind.CLIENT),
    ):
        pass
    with (
        tracer.start_as_current_span("process spean.identification.v1", kind=SpanKind.CONSUMER),
        tracer.start_as_current_span("INSERT inbox", kind=SpanKind.CLIENT),
    ):
        pass

    assert sorted(span.name for span in exporter.get_finished_spans()) == [
        "INSERT inbox",
        "INSERT screening",
        "POST /screenings",
        "process spean.identification.v1",
    ]
    telemetry.shutdown()


def test_a_query_strings_values_stay_out_of_spans_and_access_logs() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("GET /cases/{case_id}/timeline") as span:
        span.set_attribute("url.query", "purpose=Sokha%27s+court+file&by=year")
        # The older conventions carry the query in the target and the URL.
        span.set_attribute("http.target", "/cases/c-1/timeline?purpose=Sokha%27s+court+file&by=year")
        redact_request_span(span, {"query_string": b"purpose=Sokha%27s+court+file&by=year"})
    (finished,) = exporter.get_finished_spans()
    assert (finished.attributes or {})["url.query"] == "purpose=REDACTED&by=REDACTED"
    assert (finished.attributes or {})["http.target"] == "/cases/c-1/timeline?purpose=REDACTED&by=REDACTED"

    record = logging.makeLogRecord(
        {
            "name": "uvicorn.access",
            "msg": '%s - "%s %s HTTP/%s" %d',
            "args": ("127.0.0.1:5000", "GET", "/cases/c-1/timeline?purpose=Sokha%27s+file", "1.1", 200),
        }
    )
    assert AccessLogQueries().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /cases/c-1/timeline?purpose=REDACTED HTTP/1.1" 200'
