"""Where the command line keeps its sign-in and what it remembers between commands: the current
token, and the ids the last answers named (`@case`, `@screening`, `@reference`, `@handover`, `@referral`,
`@record`), so a walkthrough can chain commands without copying ids by hand. `@today+3` is the date three
days on at the border (UTC+07:00), and `@now` the moment the command runs. `@letter` is the code of the
identification letter last issued from this command line: it is kept in this file, readable by its owner
alone, as the token is."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from spean_local.paths import Layout

REMEMBERED = {
    "case_id": "case",
    "screening_id": "screening",
    "reference": "reference",
    "handover_id": "handover",
    "referral_id": "referral",
    "code": "letter",
    "national_record_id": "record",
}
PLACEHOLDER = re.compile(r"@(case|screening|reference|handover|referral|letter|record)\b|@today\+(\d+)|(@now)\b")


@dataclass
class State:
    path: Path
    token: str | None = None
    expires_at: float = 0
    identity: str | None = None
    """How to sign in again: `client:<id>` or `user:<agency>/<username>`."""
    ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> State:
        path = Path(os.environ.get("SPEAN_CLI_STATE", Layout.from_env().state / "cli.json"))
        if not path.exists():
            return cls(path)
        saved = json.loads(path.read_text())
        return cls(path, saved.get("token"), saved.get("expires_at", 0), saved.get("identity"), saved.get("ids", {}))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        document = {"token": self.token, "expires_at": self.expires_at, "identity": self.identity, "ids": self.ids}
        self.path.write_text(json.dumps(document, indent=2))

    def fresh(self) -> bool:
        return self.token is not None and self.expires_at - 20 > time.time()

    def remember(self, answer: Any) -> None:
        """Keep the ids an answer names, for `@case` and friends in later commands."""
        items = answer if isinstance(answer, list) else [answer]
        for item in items[:1]:
            if isinstance(item, dict):
                for key, name in REMEMBERED.items():
                    if isinstance(item.get(key), str):
                        self.ids[name] = item[key]
                screening = item.get("screening")
                if isinstance(screening, dict) and isinstance(screening.get("case_id"), str):
                    self.ids["case"] = screening["case_id"]
                    self.ids["screening"] = screening["screening_id"]

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            if match.group(3) is not None:
                return datetime.now(UTC).isoformat(timespec="seconds")
            if match.group(2) is not None:
                # Imported here: the contracts take 0.4 s to import, and few commands name a date.
                from spean_contracts.fields import local_today

                return (local_today() + timedelta(days=int(match.group(2)))).isoformat()
            name = match.group(1)
            if name not in self.ids:
                raise LookupError(f"@{name} is not known yet: no earlier answer named one")
            return self.ids[name]

        return PLACEHOLDER.sub(value, text)
