"""The README's walkthrough, run line by line against the platform `make up` starts (the services as
processes, with demo data), and `spean screen` of a 10,000-row CSV with three bad rows (against an
identification service of the tests' own, so as not to fill a developer's `make up` with them)."""

from __future__ import annotations

import asyncio
import base64
import csv
import functools
import json
import os
import pty
import shlex
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bench.intake import screenings_csv
from spean_contracts.fields import local_today
from spean_identification.app import build as build_identification
from spean_identification.settings import IdentificationSettings
from spean_local import demo
from spean_local.endpoints import Endpoints
from spean_local.paths import Layout, Ports
from spean_local.pytest_plugin import DatabaseFactory
from spean_local.servers.lineup import all_services
from spean_local.servers.services import Service
from spean_local.starting import start_all
from tests.support.app import free_port, served, service_settings
from tests.support.images import DEVICE, same_pixels
from tests.support.lossy import LossyProxy

ROOT = Path(__file__).parents[2]
SPEAN = str(Path(sys.executable).with_name("spean"))
EXPECTED = {
    "spean screen examples/walkthrough/screening.json": "suggested trafficking-victim",
    "spean photo take": "of metadata dropped",
    "spean call POST identification /letters/check": "trafficking-victim",
    "spean login --as ngo-shelter/sreymom": "provider",
    "spean case @case": "case.identified",
    "spean case @case --purpose": "/zipkin/traces/",
    "spean person @record": "case 1: case-",
    "spean events tail spean.repatriation.v1": "repatriation.requested",
    "spean stats": "identified",
    "spean research": "identified_again",
    "spean audit verify": "audit chain intact",
    "spean dlq list": "dead-lettered events",
}


def within(seconds: float, check: Callable[[], bool]) -> bool:
    """Whether `check` holds within `seconds`, asked every half second: the trace store takes spans a
    few seconds late."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def trace_stored(zipkin_url: str, trace_id: str) -> bool:
    return httpx.get(f"{zipkin_url}/api/v2/trace/{trace_id}", timeout=10).status_code == 200


def traced_services(zipkin_url: str) -> set[str]:
    return set(httpx.get(f"{zipkin_url}/api/v2/services", timeout=10).json())


def walkthrough() -> list[str]:
    block = (ROOT / "README.md").read_text().split("<!-- walkthrough -->")[1].split("<!-- /walkthrough -->")[0]
    return [line for line in block.splitlines() if line.startswith("spean ")]


@pytest.fixture(scope="module")
def made_up(servers: Endpoints) -> Iterator[Endpoints]:
    """What `make up` leaves running: the services as processes and the demo data. Services already
    running (a developer's `make up`) are reused and left running."""
    layout, ports = Layout.from_env(), Ports()
    services = all_services(layout, ports)
    started = start_all(services)
    try:
        demo.seed(servers, {s.name: s.url for s in services if isinstance(s, Service)})
        yield servers
    finally:
        for service in started:
            service.stop()


def run(line: str, state: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    arguments = shlex.split(line)
    return subprocess.run(
        [SPEAN, *arguments[1:]],
        cwd=ROOT,
        env={**os.environ, "SPEAN_CLI_STATE": str(state), "COLUMNS": "200", **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_walkthrough_runs_in_order_and_each_step_says_what_it_did(
    made_up: Endpoints, tmp_path: Path
) -> None:
    lines = walkthrough()
    assert len(lines) > 20
    assert any("repatriation" in line for line in lines)
    assert any("court-outcomes" in line for line in lines)
    for line in lines:
        result = run(line, tmp_path / "cli.json")
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert result.stdout.strip(), line
        for prefix, expected in EXPECTED.items():
            if line.startswith(prefix):
                assert expected in result.stdout, f"{line}\n{result.stdout}"
        if line.startswith("spean case"):
            trace = result.stdout.split("/zipkin/traces/")[1].split()[0]
            stored = within(20, functools.partial(trace_stored, made_up.zipkin_url, trace))
            assert stored, f"no trace {trace} in the trace store"
    # The walkthrough called both countries' instances: an operator tells their spans apart.
    countries = {"spean-repatriation", "spean-repatriation-vn"}
    assert within(30, lambda: countries <= traced_services(made_up.zipkin_url)), traced_services(made_up.zipkin_url)


def test_make_up_seeds_again_over_a_demo_return_taken_further(made_up: Endpoints) -> None:
    """Someone trying the platform takes the demo return on (here: its return certificate); the next
    `make up` leaves it where they took it instead of failing."""
    urls = {s.name: s.url for s in all_services(Layout.from_env(), Ports()) if isinstance(s, Service)}
    seeding = demo.Demo(made_up, urls)
    reference = seeding.call("GET", "repatriation-vn", "/repatriations", "vn-mps-system").json()[0]["reference"]
    shown = seeding.call("GET", "repatriation", f"/repatriations/{reference}", "mosvy-case-system").json()
    if shown["state"] == "handed-over":
        certificate = {"issued_on": local_today().isoformat()}
        path = f"/handovers/{shown['handover_id']}/certificate"
        seeding.call("POST", "repatriation", path, "mosvy-case-system", json=certificate)

    seeded = demo.seed(made_up, urls)

    assert f"repatriation {reference}" in seeded
    after = seeding.call("GET", "repatriation", f"/repatriations/{reference}", "mosvy-case-system").json()["state"]
    assert demo.STATES.index(after) > demo.STATES.index("handed-over")


def test_a_failing_command_exits_non_zero_with_one_line(made_up: Endpoints, tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client poipet-tc-system", state).returncode == 0

    result = run("spean call GET registry /statistics", state)

    assert result.returncode == 1
    assert result.stderr.startswith("spean: 403 Forbidden")
    assert len(result.stderr.strip().splitlines()) == 1
    commands = (
        "login",
        "screen",
        "call",
        "wait",
        "case",
        "stats",
        "research",
        "audit verify",
        "events tail",
        "dlq list",
    )
    for command in (*commands, "photo take", "photo show"):
        helped = run(f"spean {command} --help", state)
        assert helped.returncode == 0, command
        assert "Example: spean" in helped.stdout, command


def test_a_receipt_the_trail_no_longer_matches_fails_the_verification(made_up: Endpoints, tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client operations-console", state).returncode == 0

    forged = run(f"spean audit verify --receipt registry:1:{'0' * 64}", state)
    malformed = run("spean audit verify --receipt registry:first", state)

    assert (forged.returncode, forged.stderr.strip()) == (
        1,
        "spean: audit chain broken: registry rewritten or cut since its receipt",
    )
    assert "identification: audit chain intact" in forged.stdout
    assert (malformed.returncode, malformed.stderr.strip().splitlines()[0][:36]) == (
        1,
        "spean: a receipt is <service>:<entry",
    )


def test_a_screening_whose_answer_is_lost_is_sent_again_and_recorded_once(made_up: Endpoints, tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client poipet-tc-system", state).returncode == 0
    with LossyProxy(f"http://127.0.0.1:{Ports().identification}", lose=1) as proxy:
        result = run("spean screen examples/walkthrough/screening.json", state, SPEAN_IDENTIFICATION_URL=proxy.url)

    assert result.returncode == 0, result.stderr
    lost, delivered = proxy.answers
    case_id = lost.json()["case_id"]
    assert delivered.json()["case_id"] == case_id
    assert delivered.headers["Idempotent-Replayed"] == "true"
    assert f"case {case_id}" in result.stdout


def test_any_post_whose_answer_is_lost_is_sent_again_and_recorded_once(made_up: Endpoints, tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client poipet-tc-system", state).returncode == 0
    assert run("spean screen examples/walkthrough/screening.json", state).returncode == 0
    consent = """'{"purpose": "images", "given": true}'"""
    with LossyProxy(f"http://127.0.0.1:{Ports().identification}", lose=1) as proxy:
        result = run(
            f"spean call POST identification /cases/@case/consents -d {consent}",
            state,
            SPEAN_IDENTIFICATION_URL=proxy.url,
        )
    recorded = run("spean call GET identification /cases/@case/consents --json", state)

    assert result.returncode == 0, result.stderr
    lost, delivered = proxy.answers
    assert delivered.headers["Idempotent-Replayed"] == "true"
    assert delivered.json() == lost.json()
    assert [c["recorded_at"] for c in json.loads(recorded.stdout)] == [lost.json()["recorded_at"]]


def test_a_screening_refused_while_the_database_is_away_is_sent_again_and_recorded_once(
    made_up: Endpoints, tmp_path: Path
) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client poipet-tc-system", state).returncode == 0
    with LossyProxy(f"http://127.0.0.1:{Ports().identification}", unavailable=1) as proxy:
        result = run("spean screen examples/walkthrough/screening.json", state, SPEAN_IDENTIFICATION_URL=proxy.url)

    assert result.returncode == 0, result.stderr
    (recorded,) = proxy.answers
    assert recorded.status_code == 201
    assert proxy.unavailable == 0, "the first sending was refused"
    assert f"case {recorded.json()['case_id']}" in result.stdout


def test_a_list_longer_than_a_page_says_how_to_get_the_next(made_up: Endpoints, tmp_path: Path) -> None:
    state = tmp_path / "cli.json"
    assert run("spean login --client mosvy-case-system", state).returncode == 0

    first = run("spean call GET referral '/referrals?limit=1' --json", state)
    more = first.stderr.strip().removeprefix("more: ")
    second = run(more + " --json", state)

    assert first.returncode == 0, first.stderr
    assert more.startswith("spean call GET referral '/referrals?"), first.stderr
    assert second.returncode == 0, second.stderr
    shown = [json.loads(result.stdout)[0]["referral_id"] for result in (first, second)]
    assert shown[0] != shown[1]


def _csv_with_three_bad_rows(path: Path) -> list[int]:
    rows = list(csv.reader(screenings_csv(10_000).splitlines()))
    header, body = rows[0], rows[1:]
    bad = {1234: ("sex", "unknown-sex"), 5000: ("province", "KH-99"), 9999: ("encounter", "teleported")}
    for index, (column, value) in bad.items():
        body[index][header.index(column)] = value
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([header, *body])
    return sorted(index + 2 for index in bad)  # line 1 is the header


@pytest.fixture(scope="module")
async def own_identification(servers: Endpoints, new_database: DatabaseFactory) -> AsyncIterator[str]:
    """An identification service of the tests' own (its database, its topics) for uploads of thousands of
    fictional screenings, which would otherwise pile up in a developer's `make up` at every run; its URL."""
    keys = {name: base64.b64encode(os.urandom(32)).decode() for name in ("master_key", "match_key_secret")}
    settings = service_settings(IdentificationSettings, servers, await new_database(), **keys)
    async with served(build_identification(settings), free_port()) as url:
        yield url


async def test_ten_thousand_rows_with_three_bad_ones_piped(own_identification: str, tmp_path: Path) -> None:
    source = tmp_path / "screenings.csv"
    bad_lines = _csv_with_three_bad_rows(source)
    state = tmp_path / "cli.json"
    assert (await asyncio.to_thread(run, "spean login --client poipet-tc-system", state)).returncode == 0

    result = await asyncio.to_thread(run, f"spean screen {source}", state, SPEAN_IDENTIFICATION_URL=own_identification)

    assert result.returncode == 2, result.stderr
    assert "9997 screenings created, 3 rows refused" in result.stdout
    reported = [
        int(line.split()[1].rstrip(":")) for line in result.stdout.splitlines() if line.strip().startswith("line")
    ]
    assert reported == bad_lines
    assert "━" not in result.stderr + result.stdout  # no progress bar when the output is piped


def _on_a_terminal(source: Path, state: Path, url: str) -> tuple[int, bytes]:
    """`spean screen source` run on a pseudo-terminal: its exit code and all it wrote there."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [SPEAN, "screen", str(source)],
        cwd=ROOT,
        env={**os.environ, "SPEAN_CLI_STATE": str(state), "SPEAN_IDENTIFICATION_URL": url},
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    code = process.wait(timeout=120)
    os.close(primary)
    return code, seen


async def test_a_terminal_sees_a_progress_bar(own_identification: str, tmp_path: Path) -> None:
    source = tmp_path / "small.csv"
    await asyncio.to_thread(source.write_text, screenings_csv(600))
    state = tmp_path / "cli.json"
    assert (await asyncio.to_thread(run, "spean login --client poipet-tc-system", state)).returncode == 0

    code, seen = await asyncio.to_thread(_on_a_terminal, source, state, own_identification)

    assert code == 0
    assert "━".encode() in seen
    assert b"600 screenings created, 0 rows refused" in seen


def test_a_photo_taken_from_the_command_line_is_read_back_into_a_file_only_its_reader_can_open(
    made_up: Endpoints, tmp_path: Path
) -> None:
    state, into = tmp_path / "cli.json", tmp_path / "person.jpg"
    for line in (
        "spean login --client poipet-tc-system",
        "spean screen examples/walkthrough/screening.json",
        """spean call POST identification /cases/@case/consents -d '{"purpose": "images", "given": true}'""",
        "spean photo take @screening examples/walkthrough/photo.jpg",
    ):
        result = run(line, state)
        assert result.returncode == 0, f"{line}\n{result.stderr}"

    not_a_photo = run("spean photo take @screening examples/walkthrough/screening.json", state)
    without_purpose = run(f"spean photo show @screening --purpose x --out {into}", state)
    written_before = into.exists()
    shown = run(f"spean photo show @screening --purpose 'identify the person at the handover' --out {into}", state)

    assert (not_a_photo.returncode, not_a_photo.stderr.strip()) == (1, "spean: a photo is a .jpg, .jpeg or .png file")
    assert without_purpose.returncode == 1
    assert without_purpose.stderr.startswith("spean: 422 Invalid request")
    assert "query.purpose: purpose_required" in without_purpose.stderr
    assert not written_before
    assert shown.returncode == 0, shown.stderr
    assert same_pixels(into.read_bytes(), (ROOT / "examples/walkthrough/photo.jpg").read_bytes())
    assert DEVICE.encode() not in into.read_bytes()
    assert into.stat().st_mode & 0o777 == 0o600
