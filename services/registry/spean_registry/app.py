"""The registry service, wired: `spean-registry serve|rebuild|audit-verify`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from spean_contracts.registry import PROSECUTION
from spean_kit import audit
from spean_kit.logs import configure_logging
from spean_kit.service import ServiceDefinition, create_app
from spean_registry.adapters.tables import AuditEntry
from spean_registry.api.routes import router
from spean_registry.settings import RegistrySettings
from spean_registry.subscription import PROJECTION

MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: RegistrySettings, *, span_exporters: tuple[SpanExporter, ...] = ()) -> FastAPI:
    return create_app(
        ServiceDefinition(
            title="Spean registry",
            settings=settings,
            migrations=MIGRATIONS,
            routers=[router, audit.verification_router(AuditEntry, "registry")],
            owns=[PROSECUTION],
            subscriptions=[PROJECTION],
            workers=[audit.watch(AuditEntry, settings.audit_check_seconds)],
            span_exporters=span_exporters,
        )
    )


async def _verify(settings: RegistrySettings) -> int:
    from spean_kit.database import create_engine, session_factory

    engine = create_engine(settings.database_url, settings.schema_name)
    async with session_factory(engine)() as session:
        links = await audit.verify(session, AuditEntry)
    await engine.dispose()
    broken = links.first_broken
    print(f"{links.entries} audit entries; " + ("chain intact" if broken is None else f"first broken entry: {broken}"))
    return 0 if links.valid else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spean-registry")
    parser.add_argument("command", choices=["serve", "rebuild", "audit-verify"], nargs="?", default="serve")
    args = parser.parse_args(argv)
    settings = RegistrySettings()  # type: ignore[call-arg]  # filled from the environment
    configure_logging("registry", settings.log_level)
    if args.command == "rebuild":
        from spean_registry.rebuild import rebuild

        print(f"registry rebuilt from offset 0 in {asyncio.run(rebuild(settings)):.1f}s")
        return 0
    if args.command == "audit-verify":
        return asyncio.run(_verify(settings))
    port = int(os.environ.get("SPEAN_HTTP_PORT", "8104"))
    uvicorn.run(build(settings), host=os.environ.get("SPEAN_HTTP_HOST", "127.0.0.1"), port=port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
