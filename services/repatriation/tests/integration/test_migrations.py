"""Databases deployed by an earlier release keep their audit trail's meaning when upgraded."""

from __future__ import annotations

from datetime import UTC, datetime

from spean_kit import audit
from spean_kit.database import create_engine, migrate, session_factory
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_repatriation.adapters.tables import PersonRead
from spean_repatriation.app import MIGRATIONS
from tests.support.app import scalar
from tests.support.migrations import written_at


async def _upgraded(servers: Endpoints, new_database: DatabaseFactory, revision: str, written: str) -> ServiceSettings:
    """Repatriation's settings on a database of its own, `written` to as the release at `revision` left it,
    then upgraded."""
    settings = ServiceSettings(
        service_name="repatriation",
        database_url=await new_database(),
        kafka_bootstrap=servers.kafka_bootstrap,
        keycloak_url=servers.keycloak_url,
    )
    await written_at(settings, MIGRATIONS, revision, written)
    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)
    return settings


async def test_reads_recorded_before_refusals_were_kept_stay_granted(
    servers: Endpoints, new_database: DatabaseFactory
) -> None:
    settings = await _upgraded(
        servers,
        new_database,
        "0007",
        "INSERT INTO person_read (reference, subject, agency, purpose, read_at) "
        "VALUES ('KHM-1', 'officer', 'MOSVY', 'prepare the family tracing', now())",
    )

    assert await scalar(settings, "SELECT string_agg(granted::text, ',') FROM person_read") == "true"
    default = "SELECT column_default FROM information_schema.columns WHERE column_name = 'granted'"
    assert await scalar(settings, default) is None, "a new read says whether it was granted"


async def test_reads_recorded_before_the_trail_was_chained_are_chained_in_the_order_written(
    servers: Endpoints, new_database: DatabaseFactory
) -> None:
    settings = await _upgraded(
        servers,
        new_database,
        "0009",
        "INSERT INTO person_read (reference, subject, agency, purpose, read_at, granted) VALUES "
        "('KHM-1', 'officer', 'MOSVY', 'prepare the family tracing', now(), true), "
        "('KHM-1', 'officer', 'MOSVY', 'plan the handover', now(), false)",
    )
    engine = create_engine(settings.database_url, settings.schema_name)
    async with session_factory(engine)() as session, session.begin():
        earlier = await audit.verify(session, PersonRead)
        read = PersonRead(reference="KHM-1", subject="officer", purpose="escort", read_at=datetime.now(UTC))
        await audit.append(session, read)
    async with session_factory(engine)() as session:
        later = await audit.verify(session, PersonRead)
    await engine.dispose()

    assert (earlier.entries, earlier.first_broken) == (2, None)
    assert (later.entries, later.first_broken) == (3, None)
    assert read.previous_hash == earlier.last
