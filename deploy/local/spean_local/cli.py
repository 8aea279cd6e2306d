"""`spean-local up|down|status|logs|env`: the Makefile's entry points for the local servers."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence

from spean_local import demo
from spean_local.endpoints import Endpoints
from spean_local.paths import Layout, Ports
from spean_local.servers import Server, all_servers
from spean_local.servers.lineup import all_services
from spean_local.servers.services import Service
from spean_local.starting import start_all


def _selected(servers: list[Server], names: Sequence[str]) -> list[Server]:
    if not names:
        return servers
    unknown = set(names) - {s.name for s in servers}
    if unknown:
        raise SystemExit(f"unknown server(s): {', '.join(sorted(unknown))}")
    return [s for s in servers if s.name in names]


def up(servers: list[Server], *, seed: bool) -> int:
    began = time.monotonic()
    infrastructure = [s for s in servers if not isinstance(s, Service)]
    services: list[Server] = [s for s in servers if isinstance(s, Service)]
    # The services need the infrastructure healthy first; within each group, everything starts at once.
    started = {server.name for group in (infrastructure, services) if group for server in start_all(group)}
    for server in servers:
        verb = "started" if server.name in started else "already running"
        print(f"{server.name:<15} {verb}, healthy on 127.0.0.1:{server.port}")
    print(f"all healthy after {time.monotonic() - began:.1f}s")
    if seed and services:
        layout, ports = servers[0].layout, servers[0].ports
        # The demo's journeys cross every service: restarting one of them seeds again only once all run.
        platform = [s for s in all_services(layout, ports) if isinstance(s, Service)]
        if all(s.status().healthy for s in platform):
            print(demo.seed(Endpoints.local(layout, ports), {s.name: s.url for s in platform}))
        else:
            print("demo data: loaded once every service runs (spean-local up)")
    return 0


def down(servers: list[Server]) -> int:
    for server in reversed(servers):
        print(f"{server.name:<15} {'stopped' if server.stop() else 'was not running'}")
    return 0


def status(servers: list[Server]) -> int:
    print(f"{'server':<15} {'state':<9} {'pid':>8}  address          log")
    all_healthy = True
    for server in servers:
        state = server.status()
        all_healthy &= state.healthy
        pid = str(state.pid) if state.pid else "-"
        print(f"{state.name:<15} {state.word:<9} {pid:>8}  127.0.0.1:{state.port:<6} {state.log}")
    return 0 if all_healthy else 1


def logs(servers: list[Server], lines: int) -> int:
    for server in servers:
        print(f"==> {server.log_file} <==")
        if server.log_file.exists():
            print("\n".join(server.log_file.read_text(errors="replace").splitlines()[-lines:]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spean-local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status", "logs"):
        sub = commands.add_parser(name)
        sub.add_argument(
            "servers", nargs="*", help="postgres, kafka, keycloak, identification, referral, registry (default: all)"
        )
        if name == "up":
            sub.add_argument("--no-seed", action="store_true", help="do not load the demo data")
        if name == "logs":
            sub.add_argument("-n", "--lines", type=int, default=40)
    commands.add_parser("env", help="print the servers' addresses as shell variables")
    run = commands.add_parser("run", help="run a service's command with its environment, e.g. `run registry rebuild`")
    run.add_argument("service")
    run.add_argument("arguments", nargs="*")
    args = parser.parse_args(argv)

    layout, ports = Layout.from_env(), Ports()
    if args.command == "env":
        for key, value in Endpoints.local(layout, ports).as_environment().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.command == "run":
        (service,) = _selected(all_services(layout, ports), [args.service])
        assert isinstance(service, Service)
        # The operator runs a command of our own service script, with that service's environment.
        command = [str(service.script), *args.arguments]
        return subprocess.run(command, env=service.environment(), check=False).returncode  # noqa: S603
    servers = _selected([*all_servers(layout, ports), *all_services(layout, ports)], args.servers)
    if args.command == "up":
        return up(servers, seed=not args.no_seed)
    if args.command == "down":
        return down(servers)
    if args.command == "status":
        return status(servers)
    return logs(servers, args.lines)


if __name__ == "__main__":
    sys.exit(main())
