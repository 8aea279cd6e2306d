"""The identification service, wired: `spean-identification` runs it under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from spean_contracts.registry import IDENTIFICATION, REFERRAL, REPATRIATION
from spean_identification.adapters.crypto import WRAPPED_KEYS, CaseKeys
from spean_identification.adapters.tables import AccessAudit
from spean_identification.api.routes import router
from spean_identification.determinations import breach_scan, co_signature_scan, sealing_written_grounds
from spean_identification.followed import on_case_event
from spean_identification.match_key_renewal import Renewal
from spean_identification.returns import reception_scan
from spean_identification.settings import IdentificationSettings
from spean_kit import audit
from spean_kit.consumer import Subscription
from spean_kit.keyring import opening_stored_values, resealing
from spean_kit.logs import configure_logging
from spean_kit.service import ServiceDefinition, create_app
from spean_kit.workers import periodic

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: IdentificationSettings, *, span_exporters: tuple[SpanExporter, ...] = ()) -> FastAPI:
    master_keys = settings.master_keys
    case_keys = CaseKeys(master_keys)
    renewal = Renewal(
        settings.match_secret_bytes, settings.previous_match_secrets, case_keys, service=settings.service_name
    )
    return create_app(
        ServiceDefinition(
            title="Spean identification",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[router, audit.verification_router(AccessAudit, "identification")],
            owns=[IDENTIFICATION],
            subscriptions=[Subscription((REPATRIATION.name, REFERRAL.name), on_case_event)],
            workers=[
                periodic(breach_scan, settings.deadline_scan_seconds),
                periodic(reception_scan(settings.reception_screening_hours), settings.deadline_scan_seconds),
                periodic(co_signature_scan(settings.co_signature_deadline_hours), settings.deadline_scan_seconds),
                resealing(master_keys, [WRAPPED_KEYS]),
                sealing_written_grounds(case_keys),
                audit.watch(AccessAudit, settings.audit_check_seconds),
                renewal.worker(),
            ],
            span_exporters=span_exporters,
            extra_state={"case_keys": case_keys},
            start_checks=[opening_stored_values(master_keys, [WRAPPED_KEYS])],
        )
    )


def main() -> None:
    settings = IdentificationSettings()  # type: ignore[call-arg]  # filled from the environment
    configure_logging("identification", settings.log_level)
    port = int(os.environ.get("SPEAN_HTTP_PORT", "8101"))
    uvicorn.run(build(settings), host=os.environ.get("SPEAN_HTTP_HOST", "127.0.0.1"), port=port, log_config=None)
