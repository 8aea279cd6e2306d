"""Backward compatibility between two versions of one event within a major version.

A consumer written for an earlier version must keep working on every later one. So a later version
may add optional fields and widen enums; it may not remove a field, change a field's type, narrow an
enum or add a required field. Anything else needs a new major version (a new `ce_type` and topic).
"""

from __future__ import annotations

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
    _compare(old, old, new, new, "$", problems)
    return problems


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str, out: list[str]) -> None:
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if not old_types <= new_types and "any" not in new_types:
        out.append(f"{path}: type changed from {sorted(old_types)} to {sorted(new_types)}")
        return
    old_enum, new_enum = _enum(old, old_root), _enum(new, new_root)
    # A new version without an enum accepts any value: that widens, it does not narrow.
    if old_enum is not None and new_enum is not None and not old_enum <= new_enum:
        lost = ", ".join(sorted(map(str, old_enum - new_enum)))
        out.append(f"{path}: enum narrowed (no longer allows {lost})")
    old_object, new_object = _object(old, old_root), _object(new, new_root)
    if old_object is not None and new_object is not None:
        old_properties, new_properties = old_object["properties"], new_object.get("properties", {})
        for name, old_property in old_properties.items():
            if name not in new_properties:
                out.append(f"{path}.{name}: field removed")
            else:
                _compare(old_property, old_root, new_properties[name], new_root, f"{path}.{name}", out)
        for name in sorted(set(new_object.get("required", [])) - set(old_object.get("required", []))):
            out.append(f"{path}.{name}: new required field")
    old_items, new_items = _items(old, old_root), _items(new, new_root)
    if old_items is not None and new_items is not None:
        _compare(old_items, old_root, new_items, new_root, f"{path}[]", out)
