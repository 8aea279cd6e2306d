"""Detached server processes tracked by pid file, so that `make down` stops only what `make up` started."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid: int | None) -> bool:
    """Whether the process exists and has not exited (a zombie has)."""
    if pid is None:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def running_pid(pid_file: Path, marker: str) -> int | None:
    """The recorded pid if that process is alive and still ours (its command line names `marker`).

    The marker guards against a pid recycled by an unrelated process after a crash.
    """
    pid = read_pid(pid_file)
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        if marker not in " ".join(process.cmdline()):
            return None
    except psutil.Error:
        return None
    return pid


def as_user(user: str | None) -> dict[str, Any]:
    """What runs a child process as `user` (if given) with that user's own group and no other: setting
    only the user would leave it root's group, and with it root's folders that are closed to others."""
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def spawn(
    command: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str],
    cwd: Path,
    user: str | None = None,
) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - the command is built by this package, never from input
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            **as_user(user),
            # A session of its own: the server outlives `make up` and ignores its terminal's signals.
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def stop(pid: int, *, graceful: signal.Signals, timeout: float) -> None:
    """Ask politely, then insist: a server that ignores `graceful` for `timeout` seconds is killed."""
    try:
        process = psutil.Process(pid)
        children = process.children(recursive=True)
        os.kill(pid, graceful)
    except psutil.NoSuchProcess:
        return
    except ProcessLookupError:
        return
    stragglers = [*_outlasting([process], timeout), *children]
    for straggler in stragglers:
        try:
            straggler.kill()
        except psutil.NoSuchProcess:
            continue
    _outlasting(stragglers, 5)


def _outlasting(processes: Sequence[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of `processes` still running after up to `timeout` seconds. An exited process is done with,
    though it stays a zombie until its parent reaps it: a server `make up` started belongs to the system's
    first process by then, which may take a second or two."""
    deadline = time.monotonic() + timeout
    while True:
        running = [p for p in processes if alive(p.pid) and p.is_running()]
        if not running or time.monotonic() >= deadline:
            return running
        time.sleep(0.05)


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> None:
    """Poll `check()` until it is true; never a fixed sleep standing in for readiness."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
