"""The size rule of every event schema: the largest valid event is small enough for Kafka to take.

Kafka refuses a record over the broker's `message.max.bytes` (1 MiB by default), and the outbox relay
publishes a service's events in order: one event Kafka refuses would hold back every later event of
that service. So every field is bounded (a string by its length, its values, its format or an anchored
pattern; an array by its number of items; an object by its listed properties) and the largest JSON a
valid instance encodes to must stay under `LARGEST_EVENT`, which leaves room for the headers.
"""

from __future__ import annotations

import json
from typing import Any

LARGEST_EVENT = 512 * 1024

# Characters in the longest text of each string format the catalogue uses.
FORMAT_LENGTHS = {"date": 10, "date-time": 40, "uuid": 36}
# Bytes in the longest JSON number: a 64-bit integer, or a float as Python writes one.
NUMBER_BYTES = {"integer": 20, "number": 24}
# A character may need `\uXXXX` in JSON.
ESCAPED = 6


class Unbounded(ValueError):
    """A field whose valid values have no largest size; the message is the field's path."""


def largest_json(schema: dict[str, Any]) -> int:
    """Bytes in the JSON of the largest instance `schema` accepts; raises Unbounded naming a field that
    has no bound."""
    return _largest(schema, schema, "$")


def size_problems(schema: dict[str, Any]) -> list[str]:
    try:
        largest = largest_json(schema)
    except Unbounded as unbounded:
        return [f"{unbounded}: unbounded (give it a maxLength, maxItems, enum or an anchored pattern)"]
    if largest > LARGEST_EVENT:
        return [f"$: the largest valid event is {largest} bytes, over the {LARGEST_EVENT} allowed"]
    return []


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return node
    target: Any = root
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _largest(node: dict[str, Any], root: dict[str, Any], path: str) -> int:
    node = _resolve(node, root)
    if "const" in node:
        return len(json.dumps(node["const"]))
    if "enum" in node:
        return max(len(json.dumps(value)) for value in node["enum"])
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        return max(_largest(option, root, path) for option in options)
    kinds = node.get("type")
    if isinstance(kinds, list):
        return max(_largest({**node, "type": kind}, root, path) for kind in kinds)
    if kinds == "null":
        return 4
    if kinds == "boolean":
        return 5
    if kinds in NUMBER_BYTES:
        return NUMBER_BYTES[kinds]
    if kinds == "string":
        return 2 + ESCAPED * _longest_string(node, path)
    if kinds == "array":
        if "maxItems" not in node:
            raise Unbounded(path)
        return 2 + int(node["maxItems"]) * (_largest(node.get("items", {}), root, f"{path}[]") + 1)
    if kinds == "object":
        if node.get("additionalProperties", True) is not False:
            raise Unbounded(path)
        fields = node.get("properties", {})
        return 2 + sum(
            len(json.dumps(name)) + 2 + _largest(field, root, f"{path}.{name}") for name, field in fields.items()
        )
    raise Unbounded(path)


def _longest_string(node: dict[str, Any], path: str) -> int:
    bounds = [int(node["maxLength"])] if "maxLength" in node else []
    if node.get("format") in FORMAT_LENGTHS:
        bounds.append(FORMAT_LENGTHS[node["format"]])
    if "pattern" in node:
        longest = longest_match(node["pattern"])
        if longest is not None:
            bounds.append(longest)
    if not bounds:
        raise Unbounded(path)
    return min(bounds)


def longest_match(pattern: str) -> int | None:
    """Characters in the longest string a `^...$` pattern matches, or None if there is no longest
    (unanchored: a JSON Schema pattern matches anywhere in the string; or `*`, `+`, `{n,}`)."""
    if not (pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")):
        return None
    longest, end = _alternation(pattern, 1, len(pattern) - 1)
    return longest if end == len(pattern) - 1 else None


def _alternation(pattern: str, at: int, stop: int) -> tuple[int | None, int]:
    """The longest of `a|b|...` from `at`, up to `stop` or a closing parenthesis."""
    longest: int | None = 0
    while True:
        branch, at = _sequence(pattern, at, stop)
        longest = None if longest is None or branch is None else max(longest, branch)
        if at < stop and pattern[at] == "|":
            at += 1
            continue
        return longest, at


def _sequence(pattern: str, at: int, stop: int) -> tuple[int | None, int]:
    total: int | None = 0
    while at < stop and pattern[at] not in "|)":
        atom, at = _atom(pattern, at, stop)
        repeat, at = _quantifier(pattern, at)
        total = None if total is None or atom is None or repeat is None else total + atom * repeat
    return total, at


def _atom(pattern: str, at: int, stop: int) -> tuple[int | None, int]:
    if pattern[at] == "(":
        opened = at + 3 if pattern.startswith("(?:", at) else at + 1
        inner, end = _alternation(pattern, opened, stop)
        return inner, end + 1
    if pattern[at] == "[":
        end = pattern.index("]", at + 2)  # a `]` right after `[` is a member, not the end
        return 1, end + 1
    if pattern[at] == "\\":
        return 1, at + 2
    return 1, at + 1


def _quantifier(pattern: str, at: int) -> tuple[int | None, int]:
    if at >= len(pattern) or pattern[at] not in "?*+{":
        return 1, at
    if pattern[at] == "?":
        return 1, at + 1
    if pattern[at] in "*+":
        return None, at + 1
    end = pattern.index("}", at)
    upper = pattern[at + 1 : end].split(",")[-1]
    return (int(upper) if upper else None), end + 1
