"""A list's page cursor: what a page's link carries starts the next page after its last row, and a cursor
the list did not give is refused with the field and rule, whatever it holds: never a 500."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response

from spean_kit.errors import Problem
from spean_kit.pages import Keyset, PageRequest


class Base(DeclarativeBase):
    pass


class Entry(Base):
    __tablename__ = "entry"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


KEYSET = Keyset((Entry.at, Entry.name, Entry.count))


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode()


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/entries", "query_string": query.encode(), "headers": []})


def test_the_next_pages_link_starts_after_the_last_row_shown() -> None:
    rows = [Entry(at=datetime(2026, 12, n, 8, 30, 0, 123456, tzinfo=UTC), name=f"e{n}", count=n) for n in (1, 2, 3)]
    response = Response()

    shown = KEYSET.page(_request("state=open&limit=2"), response, PageRequest(2, None), rows)

    link = response.headers["Link"]
    url = link.removeprefix("<").split(">")[0]
    assert link.endswith('>; rel="next"')
    assert shown == rows[:2]
    assert url.startswith("/entries?state=open&")
    cursor = url.split("after=")[1].split("&")[0]
    parameters = KEYSET.query(select(Entry), PageRequest(2, cursor)).compile().params
    assert sorted(parameters.values(), key=str) == sorted([rows[1].at, "e2", 2, 3], key=str)


def test_the_last_page_names_no_next() -> None:
    response = Response()
    rows = [Entry(at=datetime(2026, 12, 1, tzinfo=UTC), name="e", count=1)]

    assert KEYSET.page(_request(""), response, PageRequest(2, None), rows) == rows
    assert "Link" not in response.headers


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b"not json").decode(),
        _cursor("2026-12-01T00:00:00+00:00", "e"),
        _cursor({"at": "2026-12-01T00:00:00+00:00"}),
        _cursor("2026-12-01T00:00:00", "e", 1),
        _cursor("yesterday", "e", 1),
        _cursor("2026-12-01T00:00:00+00:00", "e\u0000", 1),
        _cursor("2026-12-01T00:00:00+00:00", "e", 2**31),
        _cursor("2026-12-01T00:00:00+00:00", "e", True),
        _cursor("2026-12-01T00:00:00+00:00", 5, 1),
        _cursor(None, "e", 1),
    ],
)
def test_a_cursor_the_list_did_not_give_is_refused_with_its_field(cursor: str) -> None:
    with pytest.raises(Problem) as refused:
        KEYSET.query(select(Entry), PageRequest(2, cursor))

    assert refused.value.status == 422
    assert [(e["path"], e["rule"]) for e in refused.value.errors] == [("query.after", "cursor_invalid")]
