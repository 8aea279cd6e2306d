"""The privacy rule of every event schema: each field classified, none direct, every quasi one coarse.

`x-spean-pii` is `none` (says nothing about a person), `quasi` (a coarse attribute that could identify
in combination) or `direct` (a name, birth date, contact, photo, document number). Events may carry no
direct identifier at all, and a quasi-identifier must be coarse: chosen from a list, a yes/no, or a
string held to a pattern. Never free text, never an exact date.
"""

from __future__ import annotations

from typing import Any

LEVELS = ("none", "quasi", "direct")


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _alternatives(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    node = _resolve(node, root)
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        return [alt for option in options for alt in _alternatives(option, root)]
    return [node]


def _coarse(node: dict[str, Any], root: dict[str, Any]) -> bool:
    for option in _alternatives(node, root):
        kind = option.get("type")
        if kind in ("null", "boolean") or "enum" in option or "const" in option:
            continue
        if kind == "string" and "pattern" in option and "format" not in option:
            continue
        if kind == "array" and _coarse(option.get("items", {}), root):
            continue
        return False
    return True


def pii_problems(schema: dict[str, Any]) -> list[str]:
    """Every field of `schema` (nested objects too) that breaks the rule, as `path: problem`."""
    problems: list[str] = []
    _walk(schema, schema, "$", problems)
    return problems


def _walk(node: dict[str, Any], root: dict[str, Any], path: str, out: list[str]) -> None:
    for option in _alternatives(node, root):
        for name, field in option.get("properties", {}).items():
            where = f"{path}.{name}"
            level = field.get("x-spean-pii")
            if level not in LEVELS:
                out.append(f"{where}: no x-spean-pii classification")
            elif level == "direct":
                out.append(f"{where}: a direct identifier may never be in an event")
            elif level == "quasi" and not _coarse(field, root):
                out.append(f"{where}: a quasi-identifier must be coarse (a choice, a yes/no or a pattern)")
            _walk(field, root, where, out)
        if option.get("type") == "array":
            _walk(option.get("items", {}), root, f"{path}[]", out)
