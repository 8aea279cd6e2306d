"""`spean-contracts check` (make contracts-check) and `spean-contracts release`.

check: every released schema file is unchanged (checksum list); no field is a direct identifier
and every quasi-identifier is coarse; every field is bounded and the largest event fits Kafka; every
model still describes its released schema exactly; every version is backward compatible with each
earlier one of its major; asyncapi.yaml is what the catalogue generates.
release: writes the schema of each event's current version where none is released yet, records its
checksum, and regenerates asyncapi.yaml. A released file is never rewritten.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spean_contracts import asyncapi
from spean_contracts.compatibility import breaking_changes
from spean_contracts.privacy import pii_problems
from spean_contracts.registry import CATALOGUE
from spean_contracts.schemas import CHECKSUMS, EVENTS_DIR, generate, released, released_versions, render, schema_path
from spean_contracts.size import size_problems

ASYNCAPI = EVENTS_DIR.parent / "asyncapi.yaml"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_checksums(checksums: Path = CHECKSUMS) -> dict[str, str]:
    if not checksums.exists():
        return {}
    pairs = (line.split("  ", 1) for line in checksums.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def checksum_problems(events_dir: Path = EVENTS_DIR, checksums: Path = CHECKSUMS) -> list[str]:
    recorded = recorded_checksums(checksums)
    problems = []
    for relative, digest in recorded.items():
        path = events_dir / relative
        if not path.exists():
            problems.append(f"{relative}: released schema deleted")
        elif _digest(path) != digest:
            problems.append(f"{relative}: released schema changed (a release is immutable; add a new version)")
    for path in sorted(events_dir.glob("*/*.json")):
        relative = path.relative_to(events_dir).as_posix()
        if relative not in recorded:
            problems.append(f"{relative}: schema file not recorded as released (run `make contracts-release`)")
    return problems


def compatibility_problems(versions: dict[str, dict[str, Any]]) -> list[str]:
    """`versions` maps version -> schema for one event; each must be compatible with all earlier of its major."""
    ordered = sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    problems = []
    for index, newer in enumerate(ordered):
        for older in ordered[:index]:
            if older.split(".")[0] != newer.split(".")[0]:
                continue
            for problem in breaking_changes(versions[older], versions[newer]):
                problems.append(f"{older} -> {newer}: {problem}")
    return problems


def check() -> list[str]:
    problems = checksum_problems()
    for spec in CATALOGUE:
        if not schema_path(spec.name, spec.version).exists():
            problems.append(f"{spec.name} {spec.version}: not released (run `make contracts-release`)")
            continue
        if released(spec.name, spec.version) != generate(spec):
            problems.append(
                f"{spec.name} {spec.version}: the model no longer matches its released schema; "
                "bump the version in the catalogue and release it"
            )
        versions = {version: released(spec.name, version) for version in released_versions(spec.name)}
        for version, schema in versions.items():
            problems += [f"{spec.name} {version} {problem}" for problem in pii_problems(schema)]
            problems += [f"{spec.name} {version} {problem}" for problem in size_problems(schema)]
        problems += [f"{spec.name} {problem}" for problem in compatibility_problems(dict(versions))]
    if not ASYNCAPI.exists() or ASYNCAPI.read_text() != asyncapi.render():
        problems.append("asyncapi.yaml is not what the catalogue generates (run `make contracts-release`)")
    return problems


def release() -> list[str]:
    written = []
    recorded = recorded_checksums()
    for spec in CATALOGUE:
        path = schema_path(spec.name, spec.version)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(generate(spec)))
        recorded[path.relative_to(EVENTS_DIR).as_posix()] = _digest(path)
        written.append(str(path.relative_to(EVENTS_DIR.parent)))
    CHECKSUMS.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(recorded.items())))
    ASYNCAPI.write_text(asyncapi.render())
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spean-contracts", description=__doc__)
    parser.add_argument("command", choices=["check", "release"])
    args = parser.parse_args(argv)
    if args.command == "release":
        for path in release():
            print(f"released {path}")
        return 0
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"contracts: {len(CATALOGUE)} events, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
