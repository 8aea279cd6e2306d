"""Databases and topics that test sessions and benchmarks make on the shared servers, removed when
they end. Each run makes hundreds of topics under namespaces of its own (`kit-1a2b3c4d.`), and a
developer's Kafka kept them all: 14,000 partition folders ran its heap out in the middle of a suite.
A run deletes only the namespaces it made itself: a benchmark or a second test session running beside it
on the same servers keeps its topics."""

from __future__ import annotations

import os
import re
import socket
import uuid

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient


async def topic_names(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


class ScratchTopics:
    """The topic namespaces one run makes (`kit-1a2b3c4d.`), and the deletion of their topics when it
    ends."""

    def __init__(self) -> None:
        self.made: set[str] = set()

    def namespace(self, word: str) -> str:
        namespace = f"{word}-{uuid.uuid4().hex[:8]}."
        self.made.add(namespace)
        return namespace

    async def delete(self, bootstrap: str) -> list[str]:
        """Deletes the topics in this run's namespaces; returns them."""
        made = sorted(t for t in await topic_names(bootstrap) if t[: t.find(".") + 1] in self.made)
        if not made:
            return made
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(made)
        finally:
            await admin.close()
        return made


RUN_TOPICS = ScratchTopics()
"""This process's run: test helpers and benchmarks name their topic namespaces through it."""
scratch_namespace = RUN_TOPICS.namespace


class ScratchDatabases:
    """Empty databases made on demand on a shared PostgreSQL (`prefix_1a2b…`), dropped together. Each is
    labelled with the host and process that made it, so that the next run drops those of a run that
    was killed (Ctrl-C twice, a timeout) instead of leaving them on the developer's server for ever."""

    def __init__(self, admin_dsn: str, prefix: str) -> None:
        self.admin_dsn = admin_dsn
        self.prefix = prefix
        self.names: list[str] = []
        self.swept = False

    async def new(self) -> str:
        """Creates one; returns its DSN."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.admin_dsn)
        try:
            if not self.swept:
                await _drop_orphans(admin, self.prefix)
                self.swept = True
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{scratch_label(os.getpid())}'")
        finally:
            await admin.close()
        self.names.append(name)
        return self.admin_dsn.rsplit("/", 1)[0] + f"/{name}"

    async def drop_all(self) -> None:
        admin = await asyncpg.connect(self.admin_dsn)
        try:
            for name in self.names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def scratch_label(pid: int) -> str:
    return f"spean scratch: host {socket.gethostname()} pid {pid}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process, running
        pass
    return True


async def _drop_orphans(admin: asyncpg.Connection, prefix: str) -> None:
    """The databases of `prefix` made on this host by a process that is gone. Those of another host, or
    without the label, are left alone: a run elsewhere may be using them."""
    rows = await admin.fetch(
        "SELECT datname, shobj_description(oid, 'pg_database') AS label FROM pg_database WHERE datname LIKE $1",
        f"{prefix}\\_%",
    )
    made_here = re.compile(rf"^spean scratch: host {re.escape(socket.gethostname())} pid (\d+)$")
    for row in rows:
        found = made_here.match(row["label"] or "")
        if found and not _running(int(found.group(1))):
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
