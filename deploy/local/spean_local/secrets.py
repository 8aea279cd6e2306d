"""Secrets generated on first start and kept in the state folder (mode 0600), never in git."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path


def generated(folder: Path, name: str, keys: list[str]) -> dict[str, str]:
    """The secret file `name`, created with a random value per key the first time it is asked for.

    Keys added later are generated and appended; existing values never change, because servers
    (PostgreSQL, Keycloak) were initialised with them. Servers start side by side, so the file is read
    and written under a lock, and replaced whole: nobody ever reads it half-written.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{name}.json"
    with (folder / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        missing = [key for key in keys if key not in values]
        if missing:
            values.update({key: secrets.token_urlsafe(24) for key in missing})
            draft = folder / f".{name}.json.new"
            draft.touch(mode=0o600)
            draft.write_text(json.dumps(values, indent=2) + "\n")
            os.replace(draft, path)
    return values
