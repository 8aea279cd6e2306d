"""`spean dlq list` shows the newest dead-lettered events with their reasons and origins, and how many
there are; `spean dlq replay` sends one back to its topic as it first was, without the dead-letter headers."""

from __future__ import annotations

import json
import subprocess
import uuid

from spean_contracts import source_of
from spean_contracts.registry import IDENTIFICATION
from spean_kit.deadletter import DeadLetters
from spean_kit.replay import read_topic
from spean_kit.topics import ensure_topics
from spean_local.endpoints import Endpoints
from tests.kit.sample.app import case_identified
from tests.support.kafka import publish
from tests.walkthrough.test_readme import ROOT, SPEAN


def spean(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SPEAN, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


async def test_a_dead_letter_is_listed_with_its_reason_and_replayed_to_its_topic(servers: Endpoints) -> None:
    namespace = f"dlq-{uuid.uuid4().hex[:8]}."
    topic = namespace + IDENTIFICATION.name
    await ensure_topics(servers.kafka_bootstrap, [IDENTIFICATION], namespace=namespace)
    case_id = f"case-{uuid.uuid4().hex}"
    await publish(servers.kafka_bootstrap, namespace, case_identified(case_id), source=source_of("test", "MOSVY"))
    (original,) = await read_topic(servers.kafka_bootstrap, topic)
    letters = DeadLetters(servers.kafka_bootstrap)
    reason = "RuntimeError: the shelter table was locked"
    for attempt in (1, 2, 3):
        await letters.send(original, reason=f"{reason} ({attempt})", consumer="spean-referral", attempts=5)
    await letters.close()

    listed = spean("dlq", "list", "--namespace", namespace, "--limit", "2", "--json")
    assert listed.returncode == 0, listed.stderr
    shelf = json.loads(listed.stdout)
    assert shelf["totals"] == {topic + ".dlq": 3}
    newest, older = shelf["latest"]
    assert [(letter["offset"], letter["reason"]) for letter in (newest, older)] == [
        (2, f"{reason} (3)"),
        (1, f"{reason} (2)"),
    ]
    assert (newest["dlq"], newest["subject"]) == (topic + ".dlq", case_id)
    assert (newest["consumer"], newest["topic"]) == ("spean-referral", topic)
    table = spean("dlq", "list", "--namespace", namespace, "--limit", "2")
    assert "the newest 2 of 3 dead-lettered events" in table.stdout

    replayed = spean("dlq", "replay", topic + ".dlq", "0")
    assert replayed.returncode == 0, replayed.stderr
    assert f"to {topic}" in replayed.stdout
    first, again = await read_topic(servers.kafka_bootstrap, topic)
    assert (again.key, again.value) == (first.key, first.value)
    assert dict(again.headers) == dict(first.headers)

    missing = spean("dlq", "replay", topic + ".dlq", "7")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"spean: no dead-lettered event at offset 7 of {topic}.dlq"
