"""The repatriation service, wired: `spean-repatriation` runs the national API and, on its own port
with mutual TLS, the cross-border listener, in one process."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from spean_contracts.registry import IDENTIFICATION, REPATRIATION
from spean_kit import audit
from spean_kit.consumer import Subscription
from spean_kit.keyring import opening_stored_values, resealing
from spean_kit.logs import configure_logging
from spean_kit.service import ServiceDefinition, create_app
from spean_kit.workers import periodic
from spean_repatriation.adapters.tables import PersonRead
from spean_repatriation.api.routes import router
from spean_repatriation.certificates import InUse, certificate_watch, report_validity
from spean_repatriation.crossborder import crossborder_app
from spean_repatriation.deadlines import deadline_scan
from spean_repatriation.delivery import Courier
from spean_repatriation.exchange import Exchange
from spean_repatriation.identification import follow_identification
from spean_repatriation.sealing import SEALED
from spean_repatriation.settings import RepatriationSettings
from spean_repatriation.tls import server_context

MIGRATIONS = Path(__file__).with_name("migrations")
# How long a stopping listener lets a message under way finish. A counterpart's courier keeps its TLS
# connection open between messages and does not answer the listener's close, which TLS would wait 30 s
# for: all the time Kubernetes gives a stopping pod. A message cut short is answered with no receipt,
# and its sender sends it again.
LISTENER_STOP_SECONDS = 3
_CUT_SHORT = "Cancel %s running task(s), timeout graceful shutdown exceeded"


class ListenerStopLog(logging.Filter):
    """uvicorn logs the end of the listener's stop time at ERROR, though a stop that outlasts it is the
    rule (an idle courier's connection) and a message it cuts short is sent again: a log-based alert would
    page operators at every rollout. Retold at INFO, or WARNING when messages were cut short."""

    def filter(self, record: logging.LogRecord) -> bool:
        match record.args:
            case (int() as cut_short,) if record.msg == _CUT_SHORT:
                record.levelno = logging.WARNING if cut_short else logging.INFO
                record.levelname = logging.getLevelName(record.levelno)
                record.msg = (
                    "cross-border listener stopped after %s s; %s message(s) cut short, sent again by their senders"
                )
                record.args = (LISTENER_STOP_SECONDS, cut_short)
        return True


def build(settings: RepatriationSettings, *, span_exporters: tuple[SpanExporter, ...] = ()) -> FastAPI:
    exchange = Exchange.from_settings(settings)
    in_use = InUse(settings)
    app = create_app(
        ServiceDefinition(
            title=f"Spean repatriation ({settings.country.value})",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[router, audit.verification_router(PersonRead, "repatriation")],
            owns=[REPATRIATION],
            subscriptions=[Subscription((IDENTIFICATION.name,), follow_identification(exchange))],
            workers=[
                Courier(exchange).run,
                periodic(deadline_scan(exchange), settings.deadline_scan_seconds),
                resealing(exchange.sealer, SEALED),
                audit.watch(PersonRead, settings.audit_check_seconds),
                certificate_watch(
                    in_use, timedelta(days=settings.certificate_warning_days), settings.certificate_check_seconds
                ),
            ],
            start_checks=[opening_stored_values(exchange.sealer, SEALED)],
            span_exporters=span_exporters,
        )
    )
    app.state.exchange = exchange
    report_validity(app.state.telemetry.meter_provider.get_meter("spean_repatriation"), in_use)
    return app


def crossborder_server(national: FastAPI) -> uvicorn.Server:
    """The cross-border listener as a server whose TLS context pins the counterparts' certificates."""
    exchange: Exchange = national.state.exchange
    settings = exchange.settings
    config = uvicorn.Config(
        crossborder_app(national, exchange),
        host=settings.crossborder_host,
        port=settings.crossborder_port,
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=LISTENER_STOP_SECONDS,
    )
    config.load()
    config.ssl = server_context(settings)
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ListenerStopLog) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(ListenerStopLog())
    return uvicorn.Server(config)


def main() -> None:
    settings = RepatriationSettings()  # type: ignore[call-arg]  # filled from the environment
    configure_logging("repatriation", settings.log_level)
    national = build(settings)
    domestic = uvicorn.Server(
        uvicorn.Config(
            national,
            host=os.environ.get("SPEAN_HTTP_HOST", "127.0.0.1"),
            port=int(os.environ.get("SPEAN_HTTP_PORT", "8103")),
            log_config=None,
        )
    )

    async def serve() -> None:
        border = crossborder_server(national)
        tasks = [asyncio.create_task(domestic.serve()), asyncio.create_task(border.serve())]
        # Each server catches the stop signal for itself; when one stops, the other follows.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        domestic.should_exit = border.should_exit = True
        await asyncio.gather(*tasks)

    asyncio.run(serve())
