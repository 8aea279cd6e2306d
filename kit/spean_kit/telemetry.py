"""Traces and metrics: OpenTelemetry providers per service, exported over OTLP (console in development).

Providers are not installed globally, so that several services can share one test process and still
each report under their own `service.name`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from sqlalchemy.ext.asyncio import AsyncEngine

from spean_kit.settings import ServiceSettings

T = TypeVar("T")


def messaging_attributes(
    topic: str, operation: str, headers: Mapping[str, str], *, key: bytes | None = None
) -> dict[str, AttributeValue]:
    """OpenTelemetry messaging semantic conventions for Kafka. The case id (the key) is pseudonymous;
    nothing else of the record's content is recorded."""
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
        "messaging.message.id": headers.get("ce_id", ""),
        "cloudevents.event_type": headers.get("ce_type", ""),
    }
    if key is not None:
        attributes["messaging.kafka.message.key"] = key.decode(errors="replace")
    return attributes


def batch_attributes(topic: str, operation: str, count: int) -> dict[str, AttributeValue]:
    """Messaging attributes of a span standing for several records (a batch send or process)."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
        "messaging.batch.message_count": count,
    }


def by_cause(items: Iterable[T], cause: Callable[[T], Hashable | None]) -> list[list[T]]:
    """`items` grouped by their cause (a topic and the trace context they carry: one request's
    records), in order of first appearance, for one span per group. An item without a cause (None)
    stands alone, so that unrelated work never shares a span or a trace."""
    groups: list[list[T]] = []
    by_key: dict[Hashable, list[T]] = {}
    for item in items:
        key = cause(item)
        group = by_key.get(key) if key is not None else None
        if group is None:
            group = []
            groups.append(group)
            if key is not None:
                by_key[key] = group
        group.append(item)
    return groups


@contextlib.contextmanager
def ended(spans: Sequence[Span]) -> Iterator[None]:
    """Ends `spans` when the block is done. If it fails, each span's status names the error's type,
    never its message (a message may quote values)."""
    try:
        yield
    except BaseException as failure:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, type(failure).__name__))
        raise
    finally:
        for span in spans:
            span.end()


class WithoutIdleQueries(Sampler):
    """Root sampler that drops a database statement with no request or event around it.

    The outbox relay and the deadline scans poll several times a second; each poll would otherwise be
    a trace of its own, and operators would look for a case among thousands of lone SELECTs.
    """

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "WithoutIdleQueries"


@dataclass
class Telemetry:
    """One service's tracer and meter, and the instruments the kit reports to."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    outbox_backlog: int = 0
    consumer_lag: dict[tuple[str, str, int], int] = field(default_factory=dict)
    audit_trails_intact: dict[str, bool] = field(default_factory=dict)
    audit_trails_entries: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tracer = self.tracer_provider.get_tracer("spean_kit")
        meter = self.meter_provider.get_meter("spean_kit")
        self.events_published = meter.create_counter("spean.events.published", description="Events sent to Kafka")
        self.events_consumed = meter.create_counter("spean.events.consumed", description="Events processed")
        self.events_dead_lettered = meter.create_counter(
            "spean.events.dead_lettered", description="Events sent to a dead-letter topic"
        )
        # Many of them say that callers' answers are being lost on the way (a network, a proxy's timeout).
        self.requests_repeated = meter.create_counter(
            "spean.http.repeated",
            description="Requests sent again under an Idempotency-Key already used, by what they were answered: "
            "replayed, key-reused, answer-pending or answer-not-kept",
        )
        self.event_loop_stall = meter.create_histogram(
            "spean.event_loop.stall",
            unit="s",
            description="How late the event loop ran a short timer: time spent on one task without yielding",
            # In seconds: the SDK's default boundaries (0, 5, 10, 25, ...) suit milliseconds.
            explicit_bucket_boundaries_advisory=[0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        )
        meter.create_observable_gauge(
            "spean.outbox.backlog", callbacks=[self._observe_backlog], description="Outbox rows not yet sent"
        )
        meter.create_observable_gauge(
            "spean.consumer.lag", callbacks=[self._observe_lag], description="Records behind the partition's end"
        )
        meter.create_observable_gauge(
            "spean.audit.intact",
            callbacks=[self._observe_audit_trails],
            description="1 while the audit trail's last verification found it as written, 0 once it did not",
        )
        # Kept by the metrics store for as long as it keeps metrics: an anchor outside the database that a
        # trail cut while its service was down (and its last receipt lost) cannot move.
        meter.create_observable_gauge(
            "spean.audit.entries",
            callbacks=[self._observe_audit_entries],
            description="Entries the audit trail held at its last verification: it only grows, so a drop is a cut",
        )

    def _observe_backlog(self, _: CallbackOptions) -> Iterable[Observation]:
        yield Observation(self.outbox_backlog)

    def _observe_lag(self, _: CallbackOptions) -> Iterable[Observation]:
        for (group, topic, partition), lag in self.consumer_lag.items():
            yield Observation(lag, {"consumer.group": group, "topic": topic, "partition": partition})

    def _observe_audit_trails(self, _: CallbackOptions) -> Iterable[Observation]:
        for trail, intact in self.audit_trails_intact.items():
            yield Observation(int(intact), {"audit.trail": trail})

    def _observe_audit_entries(self, _: CallbackOptions) -> Iterable[Observation]:
        for trail, entries in self.audit_trails_entries.items():
            yield Observation(entries, {"audit.trail": trail})

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def setup_telemetry(
    settings: ServiceSettings,
    *,
    span_exporters: Iterable[SpanExporter] = (),
    metric_readers: Iterable[MetricReader] = (),
) -> Telemetry:
    name = settings.telemetry_name or f"spean-{settings.service_name}"
    resource = Resource.create({"service.name": name, "service.namespace": "spean"})
    tracer_provider = TracerProvider(resource=resource, sampler=ParentBased(root=WithoutIdleQueries()))
    exporters = list(span_exporters)
    readers = list(metric_readers)
    if settings.otlp_endpoint:
        endpoint = settings.otlp_endpoint.rstrip("/")
        exporters.append(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
        readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"),
                export_interval_millis=settings.metric_export_seconds * 1000,
            )
        )
    if settings.console_telemetry:
        exporters.append(ConsoleSpanExporter())
    for exporter in exporters:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    return Telemetry(tracer_provider, MeterProvider(resource=resource, metric_readers=readers))


def use_stable_http_conventions() -> None:
    """OpenTelemetry's stable HTTP conventions (`http.request.method`, `url.path`, ...), whose metrics
    are keyed by route, not by the raw target with its case ids and query. The instrumentation reads
    this once per process, at the first app it instruments; a deployment may still choose otherwise."""
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


def instrument_engine(engine: AsyncEngine, telemetry: Telemetry) -> None:
    """Database spans for this engine, under this service's provider.

    The instrumentor's `instrument()` is once per process and global; several services (and tests)
    share a process, so each engine gets its own EngineTracer instead.
    """
    meter = telemetry.meter_provider.get_meter("opentelemetry.instrumentation.sqlalchemy")
    connections = meter.create_up_down_counter(
        "db.client.connections.usage", unit="connections", description="Connections in use or idle"
    )
    EngineTracer(  # type: ignore[no-untyped-call]
        telemetry.tracer_provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"),
        engine.sync_engine,
        connections,
    )


def current_trace_ids() -> tuple[str, str] | None:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
