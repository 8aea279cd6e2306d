"""The kit end to end on the real servers: API write -> outbox -> Kafka -> idempotent consumer."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent, source_of, spec_for_model
from spean_contracts.events import CaseIdentified, ConsentRecorded
from spean_contracts.registry import IDENTIFICATION
from spean_kit.consumer import Subscription
from spean_kit.database import create_engine as kit_engine
from spean_kit.database import session_factory
from spean_kit.outbox import Stager, add_events
from spean_kit.service import Runtime, ServiceDefinition, create_app
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import MIGRATIONS, build, case_identified
from tests.support.app import eventually, running, scalar


def _case(prefix: str = "case") -> dict[str, str]:
    return {"case_id": f"{prefix}-{uuid.uuid4().hex[:16]}", "province": "KH-1", "sex": "male", "age_band": "25-34"}


async def _staged_in_one_request(runtime: Runtime, events: list[CaseIdentified]) -> int:
    """Stages `events` as a bulk intake request does (one transaction, under the request's span);
    returns the request's trace id."""
    with runtime.telemetry.tracer.start_as_current_span("POST /intake", kind=SpanKind.SERVER) as request:
        async with runtime.sessions() as session, session.begin():
            await runtime.stage(session, *events)
    return request.get_span_context().trace_id


def _records_in(spans: list[ReadableSpan]) -> int:
    """How many records messaging spans stand for: a batch's span counts its messages."""
    counts = [(span.attributes or {}).get("messaging.batch.message_count", 1) for span in spans]
    return sum(count for count in counts if isinstance(count, int))


async def test_one_trace_holds_the_request_its_write_the_publish_and_the_consumer(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings()
    spans = InMemorySpanExporter()
    app = build(settings, span_exporters=(spans,))
    case = _case()
    async with running(app) as client:
        answer = await client.post("/cases", json=case, headers={"Authorization": f"Bearer {moi_token()}"})
        assert answer.status_code == 201, answer.text

        async def applied() -> bool:
            count = await scalar(settings, "SELECT count(*) FROM sample_effect WHERE case_id = :c", c=case["case_id"])
            return bool(count == 1)

        await eventually(applied, what="the consumer's effect")
        app.state.runtime.telemetry.tracer_provider.force_flush()

    finished = spans.get_finished_spans()
    server = next(s for s in finished if s.kind == SpanKind.SERVER and s.name.startswith("POST /cases"))
    trace = [s for s in finished if s.context.trace_id == server.context.trace_id]
    kinds = {(s.kind, s.name.split(" ")[0]) for s in trace}
    assert (SpanKind.PRODUCER, "send") in kinds
    assert (SpanKind.CONSUMER, "process") in kinds
    assert any(
        s.kind == SpanKind.CLIENT and s.attributes and s.attributes.get("db.system") == "postgresql" for s in trace
    )
    consumer = next(s for s in trace if s.kind == SpanKind.CONSUMER)
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.destination.name"] == f"{settings.topic_namespace}spean.identification.v1"
    assert consumer.attributes["messaging.kafka.message.key"] == case["case_id"]


async def test_bad_input_gets_problem_json_with_field_paths_and_writes_nothing(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings()
    bearer = {"Authorization": f"Bearer {moi_token()}"}
    async with running(build(settings, background=False)) as client:
        invalid = await client.post("/cases", json={**_case(), "province": "Phum Thmei", "sex": 3}, headers=bearer)
        case = _case()
        first = await client.post("/cases", json=case, headers=bearer)
        again = await client.post("/cases", json=case, headers=bearer)
        missing = await client.get("/no-such-thing", headers=bearer)

    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    problem = invalid.json()
    assert problem["status"] == 422
    assert {(e["path"], e["rule"]) for e in problem["errors"]} == {("body.province", "enum"), ("body.sex", "enum")}
    assert "Phum Thmei" not in invalid.text
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert case["case_id"] not in again.text
    assert missing.status_code == 404
    assert missing.json()["title"] == "Not found"
    staged = await scalar(settings, "SELECT count(*) FROM outbox")
    assert staged == 1


async def test_text_no_database_keeps_and_bodies_too_large_are_refused_with_their_place_and_write_nothing(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings(max_body_bytes=2000)
    bearer = {"Authorization": f"Bearer {moi_token()}", "Content-Type": "application/json"}
    case = _case()
    # JSON's escapes, as a client's encoder writes them: a NUL, a lone surrogate, and a well-paired one.
    nul = json.dumps(case).replace(case["case_id"], case["case_id"][:6] + "\\u0000" + case["case_id"][6:])
    lone = json.dumps(case).replace("KH-1", "KH-\\ud800")
    paired = json.dumps(case).replace("KH-1", "KH-\\ud83d\\ude00")
    oversized = json.dumps({**case, "padding": "x" * 3000})

    async def streamed() -> AsyncIterator[bytes]:  # no length declared: counted as it arrives
        for _ in range(30):
            yield b"x" * 100

    async with running(build(settings, background=False)) as client:
        answers = {
            "nul": await client.post("/cases", content=nul, headers=bearer),
            "lone": await client.post("/cases", content=lone, headers=bearer),
            "paired": await client.post("/cases", content=paired, headers=bearer),
            "query": await client.get("/health/live?since=2026%00", headers=bearer),
            "declared": await client.post("/cases", content=oversized, headers=bearer),
            "streamed": await client.post("/cases", content=streamed(), headers=bearer),
        }

    def broken(name: str) -> set[tuple[str, str]]:
        assert answers[name].headers["content-type"] == "application/problem+json", answers[name].text
        return {(e["path"], e["rule"]) for e in answers[name].json().get("errors", [])}

    assert answers["nul"].status_code == 422
    assert broken("nul") == {("body.case_id", "string_nul_character")}
    assert broken("lone") == {("body.province", "string_unpaired_surrogate")}
    assert broken("paired") == {("body.province", "enum")}  # a real character, judged by the field's own rule
    assert broken("query") == {("query.since", "string_nul_character")}
    for name in ("declared", "streamed"):
        assert answers[name].status_code == 413, answers[name].text
        assert answers[name].json()["title"] == "Content too large"
    assert await scalar(settings, "SELECT count(*) FROM outbox") == 0


async def test_thousands_of_events_staged_in_one_transaction(make_settings: SettingsFactory) -> None:
    """A transit centre's bulk intake stages more events than one SQL statement can carry."""
    settings = await make_settings()
    async with running(build(settings, background=False)) as _:
        engine = kit_engine(settings.database_url, settings.schema_name)
        async with session_factory(engine)() as session, session.begin():
            staged = await add_events(
                session,
                [case_identified(f"bulk-{i:06d}-case") for i in range(6000)],
                source=source_of("test", "MOSVY"),
                namespace=settings.topic_namespace,
            )
        await engine.dispose()
    assert len(set(staged)) == 6000
    # The relay publishes in id order: the ids must follow the order the events were staged in.
    assert await scalar(settings, "SELECT string_agg(event_id, ',' ORDER BY id) FROM outbox") == ",".join(staged)


async def test_a_bulk_intake_is_one_publish_in_its_trace_and_unrelated_events_never_share_one(
    make_settings: SettingsFactory,
) -> None:
    settings = await make_settings()
    spans = InMemorySpanExporter()
    app = build(settings, span_exporters=(spans,))
    bulk = [case_identified(f"bulk-{uuid.uuid4().hex[:12]}") for _ in range(3)]
    loose = [case_identified(f"loose-{uuid.uuid4().hex[:12]}") for _ in range(2)]
    async with running(app) as _:
        runtime = app.state.runtime
        trace_id = await _staged_in_one_request(runtime, bulk)
        async with runtime.sessions() as session, session.begin():
            await runtime.stage(session, *loose)

        async def applied() -> bool:
            return bool(await scalar(settings, "SELECT count(*) FROM sample_effect") == 5)

        await eventually(applied, what="the five effects")
        runtime.telemetry.tracer_provider.force_flush()

    finished = spans.get_finished_spans()
    (publish,) = [s for s in finished if s.kind == SpanKind.PRODUCER and s.context.trace_id == trace_id]
    assert publish.attributes is not None
    assert publish.attributes["messaging.batch.message_count"] == 3
    processed = [s for s in finished if s.kind == SpanKind.CONSUMER and s.context.trace_id == trace_id]
    assert processed
    assert all(s.parent is not None and s.parent.span_id == publish.context.span_id for s in processed)
    assert _records_in(processed) == 3
    others = [s for s in finished if s.kind == SpanKind.PRODUCER and s.context.trace_id != trace_id]
    assert len(others) == 2
    assert others[0].context.trace_id != others[1].context.trace_id


async def test_what_a_consumer_stages_for_a_bulk_intake_stays_in_the_intake_s_trace(
    make_settings: SettingsFactory,
) -> None:
    """Referral opens a case for each identified person: under load a poll brings many at once,
    and each follow-on event must still belong to the journey an operator follows."""
    settings = await make_settings()
    spans = InMemorySpanExporter()
    consents: list[str] = []

    async def ask_consent(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
        if event.type == spec_for_model(ConsentRecorded).ce_type:
            consents.append(event.subject)
            return
        example = spec_for_model(ConsentRecorded).examples[0]
        await stage(session, ConsentRecorded.model_validate({**example, "case_id": event.subject}))

    app = create_app(
        ServiceDefinition(
            title="kit sample that answers",
            settings=settings,
            migrations=MIGRATIONS,
            owns=[IDENTIFICATION],
            subscriptions=[Subscription((IDENTIFICATION.name,), ask_consent)],
            span_exporters=(spans,),
        )
    )
    bulk = [case_identified(f"bulk-{uuid.uuid4().hex[:12]}") for _ in range(20)]
    async with running(app) as _:
        runtime = app.state.runtime
        trace_id = await _staged_in_one_request(runtime, bulk)

        async def answered() -> bool:
            return len(consents) == len(bulk)

        await eventually(answered, what="a consent event for each case")
        runtime.telemetry.tracer_provider.force_flush()

    in_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    published = [s for s in in_trace if s.kind == SpanKind.PRODUCER]
    # The intake's publish, then the consents' publish(es): all in the intake's trace.
    assert _records_in(published) == 2 * len(bulk)
