"""What operators find in the trace store: requests and events with their queries, not the thousands
of lone queries the relay and the deadline scans make while polling."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

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
