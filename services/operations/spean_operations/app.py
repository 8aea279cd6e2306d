"""The operations console, wired: `spean-operations`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace.export import SpanExporter

from spean_kit.logs import configure_logging
from spean_kit.service import ServiceDefinition, create_app
from spean_operations.api import console, routes, signin
from spean_operations.settings import OperationsSettings
from spean_operations.watch import WATCH

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: OperationsSettings, *, span_exporters: tuple[SpanExporter, ...] = ()) -> FastAPI:
    app = create_app(
        ServiceDefinition(
            title="Spean operations console",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[console.router, signin.router, routes.router],
            subscriptions=[WATCH],
            span_exporters=span_exporters,
        )
    )
    app.mount("/static", StaticFiles(directory=console.STATIC), name="static")
    return app


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    settings = OperationsSettings()  # type: ignore[call-arg]  # filled from the environment
    configure_logging("operations", settings.log_level)
    port = int(os.environ.get("SPEAN_HTTP_PORT", "8105"))
    uvicorn.run(build(settings), host=os.environ.get("SPEAN_HTTP_HOST", "127.0.0.1"), port=port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
