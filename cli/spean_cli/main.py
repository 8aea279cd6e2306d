"""`spean`: what people do by hand with Spean, from a terminal. Every command has an example in its
help, prints JSON with `--json`, and on failure exits non-zero with a one-line reason."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import jwt
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from spean_cli.connection import Failure, bearer, service_url, sign_in, trace_url
from spean_cli.state import State

app = typer.Typer(help="Spean from the command line: sign in, screen, follow events and cases.", no_args_is_help=True)
events_app = typer.Typer(help="Case events on Kafka.", no_args_is_help=True)
audit_app = typer.Typer(help="The services' tamper-evident audit trails.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-lettered events: what consumers could not process, and their replay.")
app.add_typer(events_app, name="events")
app.add_typer(audit_app, name="audit")
app.add_typer(dlq_app, name="dlq")
photo_app = typer.Typer(help="A screened person's photo, taken with their consent to images.", no_args_is_help=True)
app.add_typer(photo_app, name="photo")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
# The services whose audit trails record who read or decided on a person's data.
AUDITED_SERVICES = ("identification", "repatriation", "registry")
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
F = TypeVar("F", bound=Callable[..., None])
CHUNK = 500
ATTEMPTS = 3
MAX_WAIT_SECONDS = 60.0
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def one_line_failures(command: F) -> F:
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (Failure, LookupError, OSError, ValueError) as failure:
            err.print(f"spean: {failure}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except httpx.HTTPError as failure:
            err.print(f"spean: cannot reach the service: {type(failure).__name__}", highlight=False)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


class Unavailable(Failure):
    """The service answered 503: nothing was recorded, and it says when to send again."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _answer(response: httpx.Response) -> Any:
    body = response.json() if "json" in response.headers.get("content-type", "") else response.text
    if response.status_code == 503:
        detail = body.get("detail", "") if isinstance(body, dict) else ""
        wait = response.headers.get("retry-after", "")
        raise Unavailable(f"503 Unavailable: {detail}".strip(), float(wait) if wait.isdigit() else 1.0)
    if response.status_code >= 400:
        if isinstance(body, dict):
            errors = "; ".join(f"{e.get('path')}: {e.get('rule')}" for e in body.get("errors", []))
            raise Failure(f"{response.status_code} {body.get('title', '')}: {body.get('detail', '')} {errors}".strip())
        raise Failure(f"{response.status_code}: {str(body)[:200]}")
    return body


def _sent(method: str, service: str, path: str, **kwargs: Any) -> tuple[State, httpx.Response]:
    """The request sent as the signed-in identity, `@case` and friends filled in; the state it was sent with."""
    state = State.load()
    headers = {**bearer(state), **kwargs.pop("headers", {})}
    response = httpx.request(method, service_url(service) + state.expand(path), headers=headers, timeout=60, **kwargs)
    return state, response


def _request(method: str, service: str, path: str, **kwargs: Any) -> Any:
    state, response = _sent(method, service, path, **kwargs)
    answer = _answer(response)
    if "next" in response.links:  # stderr, so that --json output stays one document
        err.print(f"more: spean call {method} {service} '{response.links['next']['url']}'", highlight=False)
    if service != "repatriation-vn":  # Viet Nam's answers name its own case ids, not ours
        state.remember(answer)
    state.save()
    return answer


def _submit(service: str, path: str, **kwargs: Any) -> Any:
    """A POST under an Idempotency-Key, sent again with the same key when the answer is lost on the way
    (a dropped connection, a timeout): the service records it once and gives its first answer again, where
    a plain retry would record it twice. Sent again too, after the wait it asks for (at most a minute), when
    the service cannot reach its database for a while (503)."""
    headers = {"Idempotency-Key": f"spean-cli-{uuid.uuid4()}", **kwargs.pop("headers", {})}
    for attempt in range(1, ATTEMPTS):
        try:
            return _request("POST", service, path, headers=headers, **kwargs)
        except httpx.TransportError:
            time.sleep(attempt)
        except Unavailable as unavailable:
            time.sleep(min(unavailable.retry_after, MAX_WAIT_SECONDS))
    return _request("POST", service, path, headers=headers, **kwargs)


def _print(document: Any, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(document, default=str))
    elif isinstance(document, str):
        out.print(document, highlight=False)
    else:
        out.print_json(json.dumps(document, default=str))


@app.command()
@one_line_failures
def login(
    user: Annotated[str | None, typer.Option("--as", help="A demo user, <agency>/<username>, e.g. moi/sokha.")] = None,
    client: Annotated[str | None, typer.Option("--client", help="A machine client, e.g. poipet-tc-system.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Sign in: a demo user through their agency's identity provider, or a ministry system's client.

    Example: spean login --as moi/sokha
    """
    if (user is None) == (client is None):
        raise Failure("say either --as <agency>/<user> or --client <id>")
    state = State.load()
    sign_in(state, f"user:{user}" if user else f"client:{client}")
    state.save()

    claims = jwt.decode(state.token or "", options={"verify_signature": False})
    roles = sorted(
        r for r in claims.get("realm_access", {}).get("roles", []) if not r.startswith(("default-", "offline", "uma"))
    )
    summary = {"identity": state.identity, "agency": claims.get("agency"), "roles": roles}
    if as_json:
        _print(summary, True)
    else:
        out.print(f"signed in as {user or client} ({summary['agency']}): {', '.join(roles) or 'no role'}")


def _csv_chunks(path: Path) -> Iterator[tuple[int, str]]:
    """The file in chunks of rows, each with the file line number of its first row."""
    with path.open(newline="", encoding="utf-8-sig") as source:
        header = source.readline()
        rows: list[str] = []
        line = 2
        for row in source:
            rows.append(row)
            if len(rows) == CHUNK:
                yield line, header + "".join(rows)
                line += len(rows)
                rows = []
        if rows:
            yield line, header + "".join(rows)


@app.command()
@one_line_failures
def screen(
    file: Annotated[Path, typer.Argument(help="A screening as JSON (one object or a list), or a CSV file.")],
    as_json: JsonOption = False,
) -> None:
    """Submit one or many screenings; a CSV shows a progress bar and reports each bad row by line.

    Example: spean screen examples/walkthrough/screening.json
    """
    if file.suffix.lower() == ".csv":
        total = max(0, sum(1 for _ in file.open(encoding="utf-8-sig")) - 1)
        created, problems = 0, []
        with Progress(console=err, disable=not err.is_terminal or as_json) as progress:
            task = progress.add_task("screening", total=total)
            for first_line, chunk in _csv_chunks(file):
                answer = _submit(
                    "identification", "/screenings/bulk", content=chunk, headers={"Content-Type": "text/csv"}
                )
                created += answer["created"]
                problems += [
                    {"line": first_line + row["row"], "errors": row["errors"]}
                    for row in answer["rows"]
                    if row["status"] != 201
                ]
                progress.advance(task, len(answer["rows"]))
        report = {"created": created, "failed": len(problems), "problems": problems}
        if as_json:
            _print(report, True)
        else:
            out.print(f"{created} screenings created, {len(problems)} rows refused", highlight=False)
            for problem in problems:
                reasons = "; ".join(f"{e['path']}: {e['rule']}" for e in problem["errors"])
                out.print(f"  line {problem['line']}: {reasons}", highlight=False)
        if problems:
            raise typer.Exit(2)
        return
    document = json.loads(file.read_text())
    if isinstance(document, list):
        answer = _submit("identification", "/screenings/bulk", json=document)
    else:
        answer = _submit("identification", "/screenings", json=document)
    if as_json:
        _print(answer, True)
    elif isinstance(answer, dict) and "case_id" in answer:
        out.print(f"case {answer['case_id']}: suggested {answer.get('suggested_outcome', '?')}", highlight=False)
    else:
        _print(answer, False)


@app.command()
@one_line_failures
def call(
    method: Annotated[str, typer.Argument(help="GET, POST, PUT or DELETE.")],
    service: Annotated[str, typer.Argument(help="identification, referral, repatriation or registry.")],
    path: Annotated[str, typer.Argument(help="The API path; @case, @reference, @handover, @referral are filled in.")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="A JSON body, or @file.json.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Call any endpoint of the APIs as the signed-in identity (the OpenAPI of each is at /docs). A POST goes
    under an Idempotency-Key, and is sent again if its answer is lost: it is recorded once.

    Example: spean call POST identification /cases/@case/determination -d @examples/walkthrough/determination.json
    """
    body: Any = None
    if data is not None:
        text = Path(data[1:]).read_text() if data.startswith("@") else data
        body = json.loads(State.load().expand(text))
    if method.upper() == "POST":
        _print(_submit(service, path, json=body), as_json)
    else:
        _print(_request(method.upper(), service, path, json=body), as_json)


@app.command()
@one_line_failures
def wait(
    service: Annotated[str, typer.Argument(help="The service to ask.")],
    path: Annotated[str, typer.Argument(help="What to read (GET), with @case and friends filled in.")],
    expect: Annotated[str, typer.Argument(help="field=value that must hold, e.g. state=accepted.")],
    timeout: Annotated[float, typer.Option(help="Seconds before giving up.")] = 60,
    as_json: JsonOption = False,
) -> None:
    """Wait until another service or country has caught up: events and cross-border messages arrive
    a moment after the call that caused them.

    Example: spean wait repatriation /repatriations/@reference state=accepted
    """
    field, _, wanted = expect.partition("=")
    wanted = State.load().expand(wanted)
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = _request("GET", service, path)
            if isinstance(last, dict) and str(last.get(field)) == wanted:
                if as_json:
                    _print(last, True)
                else:
                    out.print(f"{field} is {wanted}", highlight=False)
                return
        except Failure:
            last = None
        time.sleep(0.5)
    seen = last.get(field) if isinstance(last, dict) else "nothing"
    raise Failure(f"{field} did not become {wanted} within {timeout:.0f}s (last seen: {seen})")


@app.command()
@one_line_failures
def case(
    case_id: Annotated[str, typer.Argument(help="A case id, or @case for the last one named.")] = "@case",
    purpose: Annotated[str, typer.Option(help="Why you read it; recorded in the audit log.")] = "case follow-up",
    as_json: JsonOption = False,
) -> None:
    """A case's timeline from the national registry, every agency's events in order, with links to the
    traces of the requests behind them.

    Example: spean case @case --purpose "court preparation"
    """
    answer = _request("GET", "registry", f"/cases/{case_id}/timeline", params={"purpose": purpose})
    _timeline(answer, f"case {answer['case_id']} (national record {answer['national_record_id']})", as_json)


@app.command()
@one_line_failures
def person(
    national_record_id: Annotated[
        str, typer.Argument(help="A national record id, or @record for the one the last case named.")
    ] = "@record",
    purpose: Annotated[str, typer.Option(help="Why you read it; recorded in the audit log.")] = "case follow-up",
    as_json: JsonOption = False,
) -> None:
    """A person's whole timeline from the national registry: the events of every case linked into their
    national record (each agency's report of them), in order, each with its case.

    Example: spean case @case && spean person @record --purpose "care plan review"
    """
    answer = _request("GET", "registry", f"/records/{national_record_id}/timeline", params={"purpose": purpose})
    _timeline(answer, f"national record {answer['national_record_id']}", as_json, links=answer["links"])


def _timeline(answer: dict[str, Any], title: str, as_json: bool, *, links: Sequence[Mapping[str, str]] = ()) -> None:
    """A timeline's entries as a table, and a link per trace behind them; with `links`, each entry's case
    numbered, and the numbered cases after the table."""
    for entry in answer["entries"]:
        entry["trace_url"] = trace_url(entry["trace_id"]) if entry.get("trace_id") else None
    if as_json:
        _print(answer, True)
        return
    cases = [link["case_id"] for link in links]
    table = Table(title=title)
    for column in ("when", *(("case",) if cases else ()), "event", "from", "trace"):
        table.add_column(column)
    traces: list[str] = []
    for entry in answer["entries"]:
        event = entry["type"].removeprefix("kh.spean.").removesuffix(".v1")
        trace = entry.get("trace_id") or ""
        if trace and trace not in traces:
            traces.append(trace)
        of_case = (f"{cases.index(entry['case_id']) + 1}",) if cases else ()
        table.add_row(entry["at"], *of_case, event, entry["source"], f"#{traces.index(trace) + 1}" if trace else "")
    out.print(table)
    for number, link in enumerate(links, start=1):
        out.print(f"case {number}: {link['case_id']} ({link['certainty']})", highlight=False, soft_wrap=True)
    for number, trace in enumerate(traces, start=1):
        out.print(f"trace #{number}: {trace_url(trace)}", highlight=False, soft_wrap=True)


@app.command()
@one_line_failures
def stats(
    measure: Annotated[str, typer.Option(help="identified, referred, repatriated, prosecuted, convicted, ...")] = (
        "identified"
    ),
    by: Annotated[list[str] | None, typer.Option(help="A dimension: year, province, sex, age_band, ...")] = None,
    as_json: JsonOption = False,
) -> None:
    """The registry's statistics, small cells suppressed.

    Example: spean stats --measure identified --by province
    """
    answer = _request("GET", "registry", "/statistics", params={"measure": measure, "by": by or []})
    if as_json:
        _print(answer, True)
        return
    table = Table(title=f"{answer['measure']} (cells below {answer['k']} suppressed)")
    for dimension in answer["by"]:
        table.add_column(dimension)
    table.add_column("count", justify="right")
    for cell in answer["cells"]:
        shown = "suppressed" if cell["count"] is None else str(cell["count"])
        table.add_row(*[str(cell["key"][d]) for d in answer["by"]], shown)
    total = "suppressed" if answer["total"] is None else str(answer["total"])
    table.add_row(*(["total"] + [""] * (len(answer["by"]) - 1) if answer["by"] else []), total)
    out.print(table)


@app.command()
@one_line_failures
def research(
    purpose: Annotated[str, typer.Option(help="The research the records are for; kept in the audit trail.")],
    as_json: JsonOption = False,
) -> None:
    """Records for research, one per person consenting to research, k-anonymous, as CSV for a spreadsheet
    (with --json: also how many persons were withheld).

    Example: spean research --purpose "reintegration outcomes study, RUPP 2026" > records.csv
    """
    params = {"purpose": purpose, "format": "json" if as_json else "csv"}
    answer = _request("GET", "registry", "/research/records", params=params)
    if as_json:
        _print(answer, True)
    else:
        sys.stdout.write(answer)


@photo_app.command("take")
@one_line_failures
def photo_take(
    screening: Annotated[str, typer.Argument(help="The screening's id, or @screening for the last one named.")],
    file: Annotated[Path, typer.Argument(help="The photo: a .jpg or .png file.")],
    as_json: JsonOption = False,
) -> None:
    """Keep the screened person's photo, once their consent to images is recorded; what the file says of
    itself (where and when it was taken, the device) is dropped by the service.

    Example: spean photo take @screening examples/walkthrough/photo.jpg
    """
    media_type = PHOTO_TYPES.get(file.suffix.lower())
    if media_type is None:
        raise Failure("a photo is a .jpg, .jpeg or .png file")
    sent = file.read_bytes()
    path = f"/screenings/{screening}/photo"
    answer = _request("PUT", "identification", path, content=sent, headers={"Content-Type": media_type})
    if as_json:
        _print(answer, True)
        return
    dropped = len(sent) - answer["size"]
    out.print(f"photo of {answer['screening_id']} kept: {answer['size']} bytes, {dropped} of metadata dropped")


@photo_app.command("show")
@one_line_failures
def photo_show(
    screening: Annotated[str, typer.Argument(help="The screening's id, or @screening for the last one named.")],
    purpose: Annotated[str, typer.Option(help="Why the photo is read; audited.")],
    into: Annotated[Path, typer.Option("--out", help="The file to write the image to (readable by you alone).")],
) -> None:
    """Read the screened person's photo for a purpose (audited, like every read of their data) into a file.

    Example: spean photo show @screening --purpose "identify the person at the handover" --out person.jpg
    """
    _, response = _sent("GET", "identification", f"/screenings/{screening}/photo", params={"purpose": purpose})
    if response.status_code >= 400:
        _answer(response)
    # A person's face: not left readable to other users of the machine.
    into.touch(mode=0o600)
    into.chmod(0o600)
    into.write_bytes(response.content)
    out.print(f"photo written to {into}: {len(response.content)} bytes, {response.headers['content-type']}")


@audit_app.command("verify")
@one_line_failures
def audit_verify(
    receipts: Annotated[
        list[str] | None,
        typer.Option(
            "--receipt",
            help="A receipt an earlier verification printed, <service>:<entry>:<hash>: whether the trail up to "
            "it was rewritten or cut since. Once per service.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the hash-chained audit trails of identification, repatriation and the registry; names each
    trail's first broken entry, and prints each trail's receipt to keep.

    Example: spean audit verify --receipt registry:42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    given = _receipts(receipts or [])
    answers = {
        service: _request("GET", service, "/audit/verify", params=given.get(service, {}))
        for service in AUDITED_SERVICES
    }
    if as_json:
        _print(answers, True)
        return
    for service, answer in answers.items():
        if answer["valid"]:
            receipt = f"receipt: entry {answer['last_entry']}, hash {answer['last_hash']}" if answer["entries"] else ""
            out.print(f"{service}: audit chain intact, {answer['entries']} entries; {receipt}".rstrip("; "))
    broken = [
        f"{service} at entry {a['first_broken_entry']}"
        if a["first_broken_entry"] is not None
        else f"{service} rewritten or cut since its receipt"
        for service, a in answers.items()
        if not a["valid"]
    ]
    if broken:
        raise Failure("audit chain broken: " + ", ".join(broken))


def _receipts(given: list[str]) -> dict[str, dict[str, str]]:
    """`<service>:<entry>:<hash>` receipts as each service's query parameters."""
    receipts: dict[str, dict[str, str]] = {}
    for receipt in given:
        service, _, rest = receipt.partition(":")
        entry, _, digest = rest.partition(":")
        if service not in AUDITED_SERVICES or not entry.isdigit() or not digest:
            raise Failure(f"a receipt is <service>:<entry>:<hash>, the service one of {', '.join(AUDITED_SERVICES)}")
        receipts[service] = {"receipt_entry": entry, "receipt_hash": digest}
    return receipts


@events_app.command("tail")
@one_line_failures
def events_tail(
    topic: Annotated[str, typer.Argument(help="e.g. spean.identification.v1")],
    limit: Annotated[int, typer.Option(help="Stop after this many events.")] = 20,
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest event, not the newest.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for more before stopping.")] = 5.0,
    as_json: JsonOption = False,
) -> None:
    """Decoded CloudEvents of a topic as they arrive (events carry no personal data).

    Example: spean events tail spean.identification.v1 --from-beginning --limit 5
    """
    # Imported here alone: Kafka's client and the kit's replay take longer to import than the rest of `spean`,
    # and every other command would wait for them.
    from spean_cli import kafka

    for event in asyncio.run(kafka.tail(topic, limit=limit, from_beginning=from_beginning, wait=wait)):
        if as_json:
            out.print_json(json.dumps(event, default=str))
        else:
            out.print(f"{event['time']}  {event['type']}  {event['subject']}", highlight=False)


@dlq_app.command("list")
@one_line_failures
def dlq_list(
    namespace: Annotated[str, typer.Option(help="Topic prefix of a training or test environment.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many of the newest to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The newest dead-lettered events, with their reasons and where they came from, and how many each
    dead-letter topic holds.

    Example: spean dlq list --limit 20
    """
    from spean_cli import kafka

    shelf = asyncio.run(kafka.dead_letters(namespace, limit))
    if as_json:
        _print(shelf, True)
        return
    letters, total = shelf["latest"], sum(shelf["totals"].values())
    shown = f"the newest {len(letters)} of " if total > len(letters) else ""
    table = Table(title=f"{shown}{total} dead-lettered events")
    for column in ("dlq", "offset", "type", "case", "reason", "consumer"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            letter["dlq"],
            str(letter["offset"]),
            letter["type"],
            letter["subject"],
            letter["reason"],
            letter["consumer"],
        )
    out.print(table)


@dlq_app.command("replay")
@one_line_failures
def dlq_replay(
    dlq: Annotated[str, typer.Argument(help="The dead-letter topic, e.g. spean.identification.v1.dlq")],
    offset: Annotated[int, typer.Argument(help="The event's offset in it (see `spean dlq list`).")],
    as_json: JsonOption = False,
) -> None:
    """Send a dead-lettered event back to its topic, after a fix; idempotent consumers make it safe.

    Example: spean dlq replay spean.identification.v1.dlq 0
    """
    from spean_cli import kafka

    replayed = asyncio.run(kafka.replay(dlq, offset))
    if as_json:
        _print(replayed, True)
    else:
        out.print(f"replayed event {replayed['event_id']} to {replayed['topic']}")


if __name__ == "__main__":
    app()
