"""Databases deployed by an earlier release are upgraded without losing an unsent event or changing what a
share opens."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from spean_contracts import encode_event, source_of, spec_for_model
from spean_contracts.events import CaseIdentified
from spean_identification.app import MIGRATIONS, build
from spean_identification.settings import IdentificationSettings
from spean_kit.database import migrate
from tests.support.app import running, scalar
from tests.support.kafka import published
from tests.support.migrations import written_at

SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]


async def test_upgrading_drops_published_outbox_rows_and_keeps_unsent_ones(
    identification_settings: SettingsFactory,
) -> None:
    settings = await identification_settings()
    await written_at(
        settings,
        MIGRATIONS,
        "0001",
        "INSERT INTO outbox (event_id, topic, key, value, headers, sent_at) VALUES "
        "('published-before', 't', 'k', 'v', '[]', now()), ('waiting', 't', 'k', 'v', '[]', NULL)",
    )

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    assert await scalar(settings, "SELECT string_agg(event_id, ',') FROM outbox") == "waiting"
    columns = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'sent_at'"
    assert await scalar(settings, columns) == 0


async def test_an_event_staged_before_the_headers_became_text_is_published_with_its_headers(
    identification_settings: SettingsFactory,
) -> None:
    settings = await identification_settings()
    spec = spec_for_model(CaseIdentified)
    event = encode_event(CaseIdentified.model_validate(spec.examples[0]), source=source_of("identification", "MOSVY"))
    await written_at(
        settings,
        MIGRATIONS,
        "0002",
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)",
        dict(event.headers)["ce_id"],
        settings.topic_namespace + event.topic,
        event.key.encode(),
        event.value,
        orjson.dumps(event.headers).decode(),
    )

    async with running(build(settings)):
        (record,) = await published(settings, spec.topic)

    assert record.value == event.value
    assert [(name, value.decode()) for name, value in record.headers][: len(event.headers)] == list(event.headers)


async def test_a_share_made_when_every_share_opened_the_photo_still_opens_it(
    identification_settings: SettingsFactory,
) -> None:
    settings = await identification_settings()
    await written_at(
        settings,
        MIGRATIONS,
        "0015",
        "INSERT INTO share (screening_id, agency, organisation, shared_by, shared_at) "
        "VALUES ('scr-before-scopes', 'NGO', 'prov-ngo-shelter-01', 'officer', now())",
    )

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    assert await scalar(settings, "SELECT with_photo FROM share WHERE screening_id = 'scr-before-scopes'") is True
    default = (
        "SELECT column_default FROM information_schema.columns "
        "WHERE table_name = 'share' AND column_name = 'with_photo'"
    )
    assert await scalar(settings, default) == "false"


async def test_a_screening_answered_before_every_post_took_a_key_is_still_answered_once(
    identification_settings: SettingsFactory, auth: Callable[[str], dict[str, str]], screening: Callable[..., Any]
) -> None:
    """Identification kept its own keys before the kit kept every service's: a retry sent across the upgrade
    is given the answer of before, and records nothing."""
    settings = await identification_settings()
    body = orjson.dumps(screening())
    answer = {
        "screening_id": "scr-before-0001",
        "case_id": "case-before-0001",
        "suggested_outcome": "trafficking-victim",
        "reasons": [],
        "determination_due": "2026-11-03T07:30:00Z",
    }
    fingerprint = hashlib.sha256(b"/screenings\n" + body).hexdigest()
    await written_at(
        settings,
        MIGRATIONS,
        "0020",
        "INSERT INTO idempotent_request (key, agency, status, body, fingerprint) VALUES ($1, $2, 201, $3::jsonb, $4)",
        "moi-before-0001",
        "MOI-AHTJP",
        orjson.dumps(answer).decode(),
        fingerprint,
    )
    headers = {**auth("moi-case-system"), "Idempotency-Key": "moi-before-0001", "Content-Type": "application/json"}
    async with running(build(settings)) as client:
        again = await client.post("/screenings", content=body, headers=headers)

    assert again.status_code == 201
    assert again.json() == answer
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await scalar(settings, "SELECT count(*) FROM screening") == 0
