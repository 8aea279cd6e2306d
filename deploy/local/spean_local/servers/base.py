"""What every local server shares: preparation, a detached process, a health check, a pid file."""

from __future__ import annotations

import os
import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from spean_local import process
from spean_local.paths import Layout, Ports


@dataclass(frozen=True)
class Status:
    name: str
    pid: int | None
    healthy: bool
    port: int
    log: Path

    @property
    def word(self) -> str:
        if self.pid is None:
            return "down"
        return "healthy" if self.healthy else "starting"


class Server(ABC):
    name: str
    graceful_signal: signal.Signals = signal.SIGTERM
    start_timeout: float = 180.0

    def __init__(self, layout: Layout, ports: Ports) -> None:
        self.layout = layout
        self.ports = ports

    @property
    @abstractmethod
    def port(self) -> int: ...

    @abstractmethod
    def prepare(self) -> None:
        """Download, unpack and initialise whatever is missing; a no-op when all is in place."""

    @abstractmethod
    def command(self) -> list[str]: ...

    @abstractmethod
    def healthy(self) -> bool: ...

    def after_start(self) -> None:  # noqa: B027 - optional hook, most servers need nothing here
        """What to do once the server is healthy, at every `make up` (e.g. load configuration)."""

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def run_as(self) -> str | None:
        return None

    @property
    def pid_file(self) -> Path:
        return self.layout.pid(self.name)

    @property
    def log_file(self) -> Path:
        return self.layout.log(self.name)

    @property
    def marker(self) -> str:
        """Text every command line of ours contains: it tells our process from a stranger's."""
        return str(self.layout.state)

    def pid(self) -> int | None:
        return process.running_pid(self.pid_file, self.marker)

    def status(self) -> Status:
        pid = self.pid()
        return Status(self.name, pid, pid is not None and self.healthy(), self.port, self.log_file)

    def ensure_running(self) -> bool:
        """Start the server unless ours already runs; wait until healthy. True if it was started now."""
        started = False
        if self.pid() is None:
            self.spawned = True
            self.prepare()
            process.spawn(
                self.command(),
                pid_file=self.pid_file,
                log_file=self.log_file,
                env=self.environment(),
                cwd=self.layout.state,
                user=self.run_as(),
            )
            started = True
        process.wait_until(self._alive_and_healthy, timeout=self.start_timeout, what=self.name)
        self.after_start()
        return started

    spawned = False
    """Whether this object started its server's process (stopping it after a failed start is ours to do)."""

    def _alive_and_healthy(self) -> bool:
        # Not self.pid(): between fork and exec the child still shows our own command line, which
        # lacks the marker, and a start-up would be taken for a crash.
        if not process.alive(process.read_pid(self.pid_file)):
            raise RuntimeError(f"{self.name} exited during start-up; see {self.log_file}")
        return self.healthy()

    def stop(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        process.stop(pid, graceful=self.graceful_signal, timeout=60)
        self.pid_file.unlink(missing_ok=True)
        return True
