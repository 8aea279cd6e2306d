"""Fetching Java distributions from Maven Central with the machine's Maven, into the shared cache."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path


def run_maven(arguments: Sequence[str]) -> None:
    maven = shutil.which("mvn")
    if maven is None:
        raise RuntimeError("Maven (mvn) is needed to fetch Kafka and Keycloak from Maven Central")
    result = subprocess.run(  # noqa: S603 - fixed arguments built by this package
        [maven, "-q", "-B", *arguments], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"mvn {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")


def fetched_once(target: Path, fetch: Sequence[str]) -> Path:
    """Run the Maven `fetch` into `target` unless an earlier run completed (a marker file says so)."""
    done = target / ".complete"
    if not done.exists():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        run_maven([*fetch, f"-DoutputDirectory={target}"])
        done.touch()
    return target
