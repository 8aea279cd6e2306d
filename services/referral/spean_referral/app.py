"""The referral service, wired: `spean-referral` runs it under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from spean_contracts.registry import IDENTIFICATION, REFERRAL, REPATRIATION
from spean_kit.consumer import Subscription
from spean_kit.logs import configure_logging
from spean_kit.service import ServiceDefinition, create_app
from spean_kit.workers import periodic
from spean_referral.api.routes import router
from spean_referral.cases import on_case_event
from spean_referral.placements import placement_scan
from spean_referral.referrals import expire_overdue, follow_up_overdue, visit_overdue
from spean_referral.settings import ReferralSettings

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: ReferralSettings, *, span_exporters: tuple[SpanExporter, ...] = ()) -> FastAPI:
    return create_app(
        ServiceDefinition(
            title="Spean referral",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[router],
            owns=[REFERRAL],
            subscriptions=[Subscription((IDENTIFICATION.name, REPATRIATION.name), on_case_event)],
            workers=[
                periodic(expire_overdue, settings.deadline_scan_seconds),
                periodic(follow_up_overdue, settings.deadline_scan_seconds),
                periodic(visit_overdue, settings.deadline_scan_seconds),
                periodic(placement_scan(settings.placement_days), settings.deadline_scan_seconds),
            ],
            span_exporters=span_exporters,
        )
    )


def main() -> None:
    settings = ReferralSettings()  # type: ignore[call-arg]  # filled from the environment
    configure_logging("referral", settings.log_level)
    port = int(os.environ.get("SPEAN_HTTP_PORT", "8102"))
    uvicorn.run(build(settings), host=os.environ.get("SPEAN_HTTP_HOST", "127.0.0.1"), port=port, log_config=None)
