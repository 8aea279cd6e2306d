"""The command-line tools `make test` builds into .spean/tools/bin for the deployment's offline checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def installed(name: str) -> str:
    """The path of tool `name`: the one the environment variable of its name in capitals points at, or
    the one `make test` installed."""
    found = os.environ.get(name.upper()) or shutil.which(name, path=str(ROOT / ".spean" / "tools" / "bin"))
    assert found, f"{name} is installed by `make test` into .spean/tools/bin"
    return found
