"""Bulk intake for transit centres: a CSV file (or a JSON list) of screenings, each row on its own."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from spean_identification.api.schemas import ScreeningIn
from spean_kit.errors import field_path

LIST_SEPARATOR = ";"
PERSON_FIELDS = (
    "names",
    "birth_date",
    "estimated_age",
    "sex",
    "nationality",
    "languages",
    "contacts",
    "documents",
    "presumed_child",
)
LIST_FIELDS = frozenset({"names", "languages", "contacts", "documents", "acts", "means", "purposes"})
INDICATOR_FIELDS = ("acts", "means", "purposes")
COLUMNS = (
    "encountered_at",
    "encounter",
    "repatriation_id",
    "province",
    "location",
    *PERSON_FIELDS,
    *INDICATOR_FIELDS,
    "continuum",
    "notes",
)


HELP = (
    "Many screenings at once, as `text/csv` (one row a screening) or as a JSON list. Each row is validated "
    "and answered on its own: a bad row never costs the good ones. Sent twice with the same Idempotency-Key, "
    "the rows are recorded once and the first answer is returned again; the same key with a different body is "
    "refused (422).\n\nA CSV file's first line names its columns, in any order, each a field of a screening "
    "(the fields of `person` and `indicators` stand as columns of their own): "
    + ", ".join(f"`{column}`" for column in COLUMNS)
    + ". A list ("
    + ", ".join(column for column in COLUMNS if column in LIST_FIELDS)
    + f") is separated by `{LIST_SEPARATOR}`; an empty cell is a field left out. An unknown column is refused, named."
)


def _cell(name: str, value: str) -> Any:
    if name in LIST_FIELDS:
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


def row_to_screening(row: dict[str, str]) -> dict[str, Any]:
    """A flat CSV row in the nested shape of the JSON API; empty cells are left out."""
    present = {k: _cell(k, v.strip()) for k, v in row.items() if k and v is not None and v.strip()}
    unknown = set(present) - set(COLUMNS)
    screening: dict[str, Any] = {k: present[k] for k in present if k not in PERSON_FIELDS + INDICATOR_FIELDS}
    screening.update({k: None for k in unknown})  # refused by the model, with the column named
    screening["person"] = {k: present[k] for k in PERSON_FIELDS if k in present}
    screening["indicators"] = {k: present[k] for k in INDICATOR_FIELDS if k in present}
    return screening


def csv_rows(text: str) -> list[dict[str, Any]]:
    return [row_to_screening(row) for row in csv.DictReader(io.StringIO(text))]


def validate_rows(rows: list[Any]) -> tuple[list[tuple[int, ScreeningIn]], dict[int, list[dict[str, str]]]]:
    """Valid rows (with their index) and, for each invalid row, its errors: path, rule, message."""
    valid: list[tuple[int, ScreeningIn]] = []
    invalid: dict[int, list[dict[str, str]]] = {}
    for index, row in enumerate(rows):
        try:
            valid.append((index, ScreeningIn.model_validate(row)))
        except ValidationError as error:
            invalid[index] = [
                {"path": field_path(e["loc"]) or "$", "rule": e["type"], "message": e["msg"]} for e in error.errors()
            ]
    return valid, invalid
