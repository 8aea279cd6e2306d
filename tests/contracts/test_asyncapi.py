"""The AsyncAPI document passes the official AsyncAPI parser and names every topic and its twin."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from spean_contracts.registry import CATALOGUE, TOPICS

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
VALIDATOR = CONTRACTS / "tools" / "validate-asyncapi.mjs"


def _parse(document: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None, "node is needed to run the official AsyncAPI parser"
    return subprocess.run([node, str(VALIDATOR), str(document)], capture_output=True, text=True, check=False)


def test_the_official_parser_finds_no_error() -> None:
    result = _parse(CONTRACTS / "asyncapi.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{2 * len(TOPICS)} channels, {2 * len(CATALOGUE)} messages" in result.stdout


def test_the_parser_rejects_a_broken_document(tmp_path: Path) -> None:
    shutil.copytree(CONTRACTS / "events", tmp_path / "events")
    document = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    first_operation = next(iter(document["operations"].values()))
    first_operation["channel"] = {"$ref": "#/channels/noSuchChannel"}
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(document))

    result = _parse(broken)

    assert result.returncode == 1
    assert "noSuchChannel" in result.stdout


def test_every_topic_and_its_dead_letter_twin_is_a_channel() -> None:
    document = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {t.name for t in TOPICS} | {t.dead_letter for t in TOPICS}


def test_the_readme_shows_every_event() -> None:
    readme = (CONTRACTS / "README.md").read_text()
    missing = [spec.ce_type for spec in CATALOGUE if f"### `{spec.ce_type}`" not in readme]
    assert missing == []
