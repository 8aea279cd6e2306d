"""Secrets generated on first start and kept in the state folder (mode 0600), never in git."""

from __future__ import annotations

import json
import secrets
from pathlib import Path


def generated(folder: Path, name: str, keys: list[str]) -> dict[str, str]:
    """The secret file `name`, created with a random value per key the first time it is asked for.

    Keys added later are generated and appended; existing values never change, because servers
    (PostgreSQL, Keycloak) were initialised with them.
    """
    path = folder / f"{name}.json"
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [key for key in keys if key not in values]
    if missing:
        values.update({key: secrets.token_urlsafe(24) for key in missing})
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_text(json.dumps(values, indent=2) + "\n")
    return values
