"""One service process: its FastAPI app, its database, its outbox relay and its consumers, wired once.

A service hands over its settings, migrations folder, routers, the topics it owns and what it
consumes; the kit does the rest at start-up (migrations, topics, telemetry, token verification) and
stops it all cleanly at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.trace.export import SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import Topic, source_of
from spean_contracts.registry import TOPICS
from spean_kit import health
from spean_kit.auth import KeySet, TokenVerifier
from spean_kit.consumer import IdempotentConsumer, Subscription
from spean_kit.database import create_engine, migrate, session_factory
from spean_kit.deadletter import DeadLetters
from spean_kit.errors import install_error_handlers
from spean_kit.idempotency import ClaimingSession, forgetting
from spean_kit.inputs import BodyLimit, refuse_unkeepable_text
from spean_kit.openapi import ServiceAPI
from spean_kit.outbox import OutboxRelay, Stager
from spean_kit.redaction import redact_request_span
from spean_kit.retries import SafeRetries
from spean_kit.settings import ServiceSettings
from spean_kit.stalls import watch_event_loop
from spean_kit.telemetry import Telemetry, instrument_engine, setup_telemetry, use_stable_http_conventions
from spean_kit.topics import ensure_topics
from spean_kit.workers import periodic

log = logging.getLogger(__name__)


async def supervise(name: str, work: Callable[[asyncio.Event], Awaitable[None]], stop: asyncio.Event) -> None:
    """Keep a background worker alive: one that dies (Kafka gone mid-call, a rebalance gone wrong) is
    logged and started again, with a growing pause, until the service stops."""
    pause = 0.5
    while not stop.is_set():
        try:
            await work(stop)
        except Exception as error:
            log.warning("background worker restarting", extra={"worker": name, "error": type(error).__name__})
            try:
                await asyncio.wait_for(stop.wait(), timeout=pause)
            except TimeoutError:
                pause = min(pause * 2, 10.0)


def collect_garbage_less_often(young_threshold: int) -> None:
    """Python's collector belongs to the process, not to one app: the last service built in a process
    sets it. The older generations keep their ratios to the youngest."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


@dataclass
class ServiceDefinition:
    title: str
    settings: ServiceSettings
    migrations: Path
    routers: Sequence[APIRouter] = ()
    owns: Sequence[Topic] = ()
    subscriptions: Sequence[Subscription] = ()
    span_exporters: Iterable[SpanExporter] = ()
    metric_readers: Iterable[MetricReader] = ()
    workers: Sequence[Callable[[Runtime, asyncio.Event], Awaitable[None]]] = ()
    # Run once the runtime is built, before any request or worker: one that raises stops the start-up,
    # for a misconfiguration that would otherwise do harm while the service runs.
    start_checks: Sequence[Callable[[Runtime], Awaitable[None]]] = ()
    run_background: bool = True
    topic_replication: int = 1
    extra_state: dict[str, object] = field(default_factory=dict)


@dataclass
class Runtime:
    """What request handlers reach through `request.app.state`."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    telemetry: Telemetry
    relay: OutboxRelay
    consumers: list[IdempotentConsumer]

    stage: Stager
    """Puts events in this service's outbox, in the caller's transaction: `await runtime.stage(session, *events)`."""


def runtime_of(request: Request) -> Runtime:
    """The running service's runtime, for a request handler."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def create_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, settings.schema_name, definition.migrations)
        subscribed = {t for s in definition.subscriptions for t in s.topics}
        await ensure_topics(
            settings.kafka,
            [*definition.owns, *(t for t in TOPICS if t.name in subscribed)],
            replication=definition.topic_replication,
            namespace=settings.topic_namespace,
        )
        engine = create_engine(settings.database_url, settings.schema_name)
        instrument_engine(engine, telemetry)
        # Its sessions claim a keyed request's Idempotency-Key in the transaction of what it records.
        sessions = session_factory(engine, sync_session_class=ClaimingSession)
        dead_letters = DeadLetters(settings.kafka)
        stage = Stager(source_of(settings.service_name, settings.agency), settings.topic_namespace)
        relay = OutboxRelay(
            engine,
            settings.kafka,
            telemetry,
            schema=settings.schema_name,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        )
        consumers = [
            IdempotentConsumer(
                group=settings.consumer_group,
                subscription=dataclasses.replace(
                    subscription, topics=tuple(settings.topic_namespace + topic for topic in subscription.topics)
                ),
                bootstrap=settings.kafka,
                sessions=sessions,
                dead_letters=dead_letters,
                telemetry=telemetry,
                stage=stage,
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_backoff_seconds,
            )
            for subscription in definition.subscriptions
        ]
        app.state.settings = settings
        app.state.engine = engine
        app.state.runtime = Runtime(settings, engine, sessions, telemetry, relay, consumers, stage)
        app.state.token_verifier = TokenVerifier(
            issuer=settings.issuer,
            audience=settings.expected_audience,
            keys=KeySet(
                f"{settings.realm_url}/protocol/openid-connect/certs",
                max_age=settings.jwks_max_age_seconds,
                min_refresh=settings.jwks_min_refresh_seconds,
            ),
        )
        for name, value in definition.extra_state.items():
            setattr(app.state, name, value)
        try:
            for check in definition.start_checks:
                await check(app.state.runtime)
        except Exception:
            await engine.dispose()
            raise
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if definition.run_background:
            workers: list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]] = [
                ("outbox-relay", relay.run),
                ("event-loop-watch", functools.partial(watch_event_loop, telemetry=telemetry)),
            ]
            workers += [(f"consumer-{c.inbox_name}", c.run) for c in consumers]
            runtime: Runtime = app.state.runtime
            forget = periodic(forgetting(settings.idempotency_key_days), settings.idempotency_sweep_seconds)
            workers.append(("idempotency-keys-forgotten", functools.partial(forget, runtime)))
            workers += [(getattr(w, "__name__", "worker"), functools.partial(w, runtime)) for w in definition.workers]
            tasks = [asyncio.create_task(supervise(name, work, stop), name=name) for name, work in workers]
        # What start-up built (modules, schemas, mappers, about 176,000 objects for identification)
        # lives as long as the process, yet every full collection walked it all: a 140 ms pause of the
        # API and the workers. Frozen, it is left out of collections until shutdown.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await dead_letters.close()
            await engine.dispose()
            telemetry.shutdown()

    telemetry = setup_telemetry(
        settings, span_exporters=definition.span_exporters, metric_readers=definition.metric_readers
    )
    use_stable_http_conventions()
    collect_garbage_less_often(settings.gc_young_threshold)
    app = ServiceAPI(
        title=definition.title, lifespan=lifespan, dependencies=[Depends(refuse_unkeepable_text)], keyed=True
    )
    # Inside the body limit, which it reads the body through.
    app.add_middleware(SafeRetries)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.telemetry = telemetry
    install_error_handlers(app)
    app.include_router(health.router)
    for router in definition.routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        excluded_urls="/health/.*",
        server_request_hook=redact_request_span,
    )
    return app
