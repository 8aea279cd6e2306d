"""Lists served a page at a time, in a fixed order, each page naming the next in a `Link` header
(RFC 8288, `rel="next"`). A list cut at a fixed number of rows hides everything past it: the newest
referrals, repatriations or audit entries, exactly the ones their readers look for.

The cursor is the sort key of a page's last row, so a page never repeats or skips a row when rows are
added meanwhile (keyset pagination, not offsets). It is opaque to clients: they follow the link.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

import orjson
import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import InstrumentedAttribute, Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from spean_kit.errors import invalid_field
from spean_kit.inputs import broken_rule

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
PAGED_HEADERS = {
    "Link": {
        "description": 'The next page, as `<url>; rel="next"`, while rows remain; absent on the last page.',
        "schema": {"type": "string"},
    }
}
Row = TypeVar("Row")
Column = Mapped[Any]


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows on this page.")] = DEFAULT_LIMIT,
    after: Annotated[
        str | None,
        Query(
            max_length=400,
            description="Where the page starts: the cursor in the previous page's `Link` header, as given. Any "
            "other value is refused (422, `query.after`, rule `cursor_invalid`).",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit, after)


PageOf = Annotated[PageRequest, Depends(page_request)]


def _attribute(column: Column) -> InstrumentedAttribute[Any]:
    # What `col()` gives is typed as the mapped value; at run time it is the class's attribute.
    return cast(InstrumentedAttribute[Any], column)


def _encoded(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def _decoded(cursor: str, columns: Sequence[Column]) -> list[Any]:
    """The sort key a cursor holds, each value of its column's type; 422 for anything else."""
    refused = invalid_field("query.after", "cursor_invalid", "not a cursor this list gave; follow its Link header")
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise refused from None
    if not isinstance(values, list) or len(values) != len(columns):
        raise refused
    decoded = [_value(value, _attribute(column).type) for value, column in zip(values, columns, strict=True)]
    if any(value is None for value in decoded):
        raise refused
    return decoded


def _value(value: Any, kind: sa.types.TypeEngine[Any]) -> Any:
    """`value` as the column takes it, or None: what PostgreSQL would refuse must not reach it (a 500)."""
    if isinstance(kind, sa.TypeDecorator):  # sqlmodel's strings
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else None
    if isinstance(kind, sa.Integer) and type(value) is int:
        bits = 63 if isinstance(kind, sa.BigInteger) else 31
        return value if -(2**bits) <= value < 2**bits else None
    if isinstance(kind, sa.String) and isinstance(value, str):
        return value if broken_rule(value) is None else None
    return None


@dataclass(frozen=True)
class Keyset:
    """The columns a list is sorted by, the last of them unique, so that the key names one row."""

    columns: tuple[Column, ...]

    def query(self, query: SelectOfScalar[Row], page: PageRequest) -> SelectOfScalar[Row]:
        """`query` sorted by the keyset, from the row after the cursor, one row more than the page so that
        the answer knows whether another page follows."""
        if page.cursor is not None:
            after = _decoded(page.cursor, self.columns)
            query = query.where(sa.tuple_(*self.columns) > sa.tuple_(*after))
        return query.order_by(*self.columns).limit(page.limit + 1)

    async def read(
        self, session: AsyncSession, query: SelectOfScalar[Row], page: PageRequest, request: Request, response: Response
    ) -> Sequence[Row]:
        """The page of `query` the request asks for, the link to the next set on `response`."""
        rows = (await session.exec(self.query(query, page))).all()
        return self.page(request, response, page, rows)

    def page(self, request: Request, response: Response, page: PageRequest, rows: Sequence[Row]) -> Sequence[Row]:
        """The page's rows; when more follow, the link to the next page, as this request with the cursor
        of the last row shown (relative, so that it holds behind any proxy)."""
        shown = rows[: page.limit]
        if len(rows) > page.limit:
            cursor = _encoded([getattr(shown[-1], _attribute(column).key) for column in self.columns])
            query = request.url.include_query_params(after=cursor, limit=page.limit).query
            response.headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        return shown
