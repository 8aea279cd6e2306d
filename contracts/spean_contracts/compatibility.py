"""Backward compatibility between two versions of one event within a major version, and between two
releases of a service's HTTP API.

A consumer written for an earlier version must keep working on every later one. So a later version
may add optional fields and widen enums; it may not remove a field, change a field's type, narrow an
enum or add a required field. Anything else needs a new major version (a new `ce_type` and topic).

A client written against an earlier release of an HTTP API must keep working on the later one: every
operation it calls is still there, takes what it sends (no new required parameter or field, no type,
enum, length, count or range narrowed, no pattern changed, no field it may send removed) and answers what
it reads (each success status it knew, no field it reads removed or left out at times, no type widened).
Answers may gain fields and enum values: a client ignores what it does not know, as a consumer of events
does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        reference: str = node["$ref"]
        target: Any = root
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
        node = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
    return node


def _types(node: Schema, root: Schema) -> frozenset[str]:
    node = _resolve(node, root)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        return frozenset().union(*(_types(option, root) for option in alternatives))
    declared = node.get("type")
    if isinstance(declared, list):
        return frozenset(declared)
    if isinstance(declared, str):
        return frozenset({declared})
    if "enum" in node:
        return frozenset(type(value).__name__ for value in node["enum"])
    return frozenset({"any"})


def _enum(node: Schema, root: Schema) -> set[Any] | None:
    node = _resolve(node, root)
    if "enum" in node:
        return set(node["enum"])
    for option in node.get("anyOf") or node.get("oneOf") or []:
        values = _enum(option, root)
        if values is not None:
            return values
    return None


def _object(node: Schema, root: Schema) -> Schema | None:
    node = _resolve(node, root)
    if "properties" in node:
        return node
    for option in node.get("anyOf") or node.get("oneOf") or []:
        found = _object(option, root)
        if found is not None:
            return found
    return None


# Bounds a value sent may not pass: a later release may raise an upper bound and lower a lower one, never
# the reverse, and may not change a pattern (no check can tell a looser pattern from a stricter one).
UPPER_BOUNDS = ("maxLength", "maxItems", "maximum")
LOWER_BOUNDS = ("minLength", "minItems", "minimum")


def _bound(node: Schema, root: Schema, name: str) -> Any:
    node = _resolve(node, root)
    if name in node:
        return node[name]
    for option in node.get("anyOf") or node.get("oneOf") or []:
        found = _bound(option, root, name)
        if found is not None:
            return found
    return None


def _narrowed_bounds(pair: _Pair, old: Schema, new: Schema, path: str) -> list[str]:
    """Each bound of what may be sent that `new` narrows from `old`."""
    found = []
    for name in (*UPPER_BOUNDS, *LOWER_BOUNDS):
        before, after = _bound(old, pair.old_root, name), _bound(new, pair.new_root, name)
        if after is None:
            continue
        if before is None or (after < before if name in UPPER_BOUNDS else after > before):
            found.append(f"{path}: {name} narrowed from {before} to {after}")
    before, after = _bound(old, pair.old_root, "pattern"), _bound(new, pair.new_root, "pattern")
    if after is not None and after != before:
        found.append(f"{path}: pattern changed from {before} to {after}")
    return found


def _items(node: Schema, root: Schema) -> Schema | None:
    node = _resolve(node, root)
    if "items" in node:
        items: Schema = node["items"]
        return items
    for option in node.get("anyOf") or node.get("oneOf") or []:
        found = _items(option, root)
        if found is not None:
            return found
    return None


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Each way `new` breaks consumers of `old`, as `path: rule` lines; empty when compatible."""
    problems: list[str] = []
    _compare(_Pair(old, new, answer=False, bounds=False), old, new, "$", problems)
    return problems


def breaking_api_changes(old: Schema, new: Schema) -> list[str]:
    """Each way the OpenAPI document `new` breaks a client of `old`, as `METHOD path place: rule` lines."""
    out: list[str] = []
    sent, answered = _Pair(old, new, answer=False, bounds=True), _Pair(old, new, answer=True, bounds=False)
    for path, operations in old.get("paths", {}).items():
        for method, before in operations.items():
            where = f"{method.upper()} {path}"
            after = new.get("paths", {}).get(path, {}).get(method)
            if after is None:
                out.append(f"{where}: operation removed")
                continue
            known = {(p["in"], p["name"]): p for p in before.get("parameters", [])}
            for parameter in after.get("parameters", []):
                place = f"{where} {parameter['in']}.{parameter['name']}"
                earlier = known.get((parameter["in"], parameter["name"]))
                if parameter.get("required") and not (earlier or {}).get("required"):
                    out.append(f"{place}: new required parameter")
                if earlier is not None:
                    _compare(sent, earlier.get("schema", {}), parameter.get("schema", {}), place, out)
            _bodies(sent, where, before.get("requestBody"), after.get("requestBody"), out)
            for status, answer in before.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                later = after.get("responses", {}).get(status)
                if later is None:
                    out.append(f"{where} {status}: answer removed")
                else:
                    _contents(answered, f"{where} {status}", "no longer answers", answer, later, out)
    return out


def _bodies(sent: _Pair, where: str, before: Schema | None, after: Schema | None, out: list[str]) -> None:
    if after is not None and after.get("required") and not (before or {}).get("required"):
        out.append(f"{where} body: new required body")
    if before is not None and after is not None:
        _contents(sent, f"{where} body", "no longer takes", before, after, out)


def _contents(pair: _Pair, place: str, missing: str, before: Schema, after: Schema, out: list[str]) -> None:
    """A body's or an answer's schema in each media type it had, compared with the later one's."""
    for media, content in before.get("content", {}).items():
        now = after.get("content", {}).get(media)
        if now is None:
            out.append(f"{place}: {missing} {media}")
        else:
            _compare(pair, content.get("schema", {}), now.get("schema", {}), place, out)


@dataclass(frozen=True)
class _Pair:
    """The two documents compared, which way data flows: sent (what the old side wrote, the new reads) or
    answered (what the new side writes, the old reads), and whether the bounds of what is sent are held too:
    an API's are, where a changed pattern is agreed with its callers; an event's pattern may widen in a later
    version, which no check can tell from one made stricter."""

    old_root: Schema
    new_root: Schema
    answer: bool
    bounds: bool


def _compare(pair: _Pair, old: Schema, new: Schema, path: str, out: list[str]) -> None:
    old_types, new_types = _types(old, pair.old_root), _types(new, pair.new_root)
    reader, writer = (old_types, new_types) if pair.answer else (new_types, old_types)
    if not writer <= reader and "any" not in reader:
        out.append(f"{path}: type changed from {sorted(old_types)} to {sorted(new_types)}")
        return
    old_enum, new_enum = _enum(old, pair.old_root), _enum(new, pair.new_root)
    # A new version without an enum accepts any value: that widens, it does not narrow. An answer's enum may
    # widen: its readers ignore values they do not know.
    if not pair.answer and old_enum is not None and new_enum is not None and not old_enum <= new_enum:
        lost = ", ".join(sorted(map(str, old_enum - new_enum)))
        out.append(f"{path}: enum narrowed (no longer allows {lost})")
    if pair.bounds:
        out.extend(_narrowed_bounds(pair, old, new, path))
    old_object, new_object = _object(old, pair.old_root), _object(new, pair.new_root)
    if old_object is not None and new_object is not None:
        old_properties, new_properties = old_object["properties"], new_object.get("properties", {})
        for name, old_property in old_properties.items():
            if name not in new_properties:
                out.append(f"{path}.{name}: field removed")
            else:
                _compare(pair, old_property, new_properties[name], f"{path}.{name}", out)
        old_required, new_required = set(old_object.get("required", [])), set(new_object.get("required", []))
        if pair.answer:
            out.extend(f"{path}.{name}: no longer always given" for name in sorted(old_required - new_required))
        else:
            out.extend(f"{path}.{name}: new required field" for name in sorted(new_required - old_required))
    old_items, new_items = _items(old, pair.old_root), _items(new, pair.new_root)
    if old_items is not None and new_items is not None:
        _compare(pair, old_items, new_items, f"{path}[]", out)
