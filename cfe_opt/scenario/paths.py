"""Field paths: a dotted path names one field of a scenario, checked against the schema.

``parties.RUS.positions.flank_acv.target`` names a position's target; ``parties.TUR.weight``
names a party's weight even where the file leaves it at its default (1). A path is checked
segment by segment against the schema (``schema.py``) and the scenario's own names, so a wrong
segment is named, with the nearest existing name suggested:
``no 'RUSS' in parties (did you mean 'RUS'?)``.

What a path may reach:
- any field of a mapping the schema defines (a party's ``weight``, a position's ``range``),
  written in the file or left at its default;
- a named entry the file has (a party, a position, a limit, an area); a new name cannot be made
  by a path (it would need a whole entry);
- a figure per category (``holdings.tanks``), written or not (the category is a schema name);
- a list item by its number (``quantity.terms.0.coefficient``).

Setting a path to ``None`` removes the field, as ``null`` does in ``extends`` (a structural
change: a limit or a party dropped).
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from cfe_opt.scenario.schema import Figure, Quantity, ScenarioSpec, Term

MISSING: Any = object()  # "no value": a field absent from the data with no default


class PathError(ValueError):
    """A path that names no field of the scenario; ``str()`` is the one-line reason."""


@dataclass(frozen=True)
class FieldInfo:
    """What a checked path names: its leaf type, for callers that need to know (a study
    sampling a whole-number field)."""

    path: str
    annotation: Any  # the schema's type of the value at the path
    integer: bool  # the field takes whole numbers only (a count)
    numeric: bool  # the field takes numbers


def split_path(path: str) -> list[str | int]:
    """``a.b.0.c`` or ``a.b[0].c`` → ["a", "b", 0, "c"]."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("a field path must be non-empty text such as "
                        "'parties.RUS.positions.flank_acv.target'")
    parts: list[str | int] = []
    for raw in path.replace("[", ".").replace("]", "").split("."):
        if raw == "":
            raise PathError(f"'{path}' has an empty segment")
        parts.append(int(raw) if raw.isdigit() else raw)
    return parts


def _unwrap(annotation: Any, data: Any) -> Any:
    """Strip Annotated / Optional and choose a union member by what the data holds."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = _choose(members, data)
            continue
        return annotation


def _choose(members: list[Any], data: Any) -> Any:
    """A union member: a limit by its ``type`` (default ``sum``), else the first model."""
    if len(members) == 1:
        return members[0]
    tag = data.get("type", "sum") if isinstance(data, dict) else "sum"
    for member in members:
        inner = _unwrap(member, None) if get_origin(member) is Annotated else member
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            field = inner.model_fields.get("type")
            if field is not None and tag in get_args(field.annotation):
                return member
    return members[0]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _named_keys(annotation: Any) -> tuple[str, ...] | None:
    """The fixed names a mapping's keys come from (categories), or None for free names."""
    key = _unwrap(get_args(annotation)[0], None) if get_args(annotation) else None
    if get_origin(key) is Literal:
        return tuple(str(v) for v in get_args(key))
    return None


def _suggest(word: object, choices: typing.Iterable[str]) -> str:
    hint = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _where(parts: list[str | int], i: int) -> str:
    return ".".join(str(p) for p in parts[:i]) or "the scenario"


def _leaf_info(path: str, annotation: Any) -> FieldInfo:
    inner = _unwrap(annotation, None)
    if inner is Figure:
        return FieldInfo(path, inner, integer=True, numeric=True)
    meta = get_args(annotation) if get_origin(annotation) is Annotated else ()
    integer = inner is int or any(getattr(m, "__name__", "") == "StrictInt" for m in meta)
    numeric = integer or inner in (float, int)
    return FieldInfo(path, annotation, integer=integer and inner is not bool,
                     numeric=numeric and inner is not bool)


def resolve(data: dict, path: str) -> tuple[list[str | int], FieldInfo]:
    """Check ``path`` against the schema and the names in ``data``; raise ``PathError``."""
    parts = split_path(path)
    annotation: Any = ScenarioSpec
    node: Any = data
    for i, part in enumerate(parts):
        annotation = _unwrap(annotation, node)
        if annotation is Quantity and isinstance(node, dict) and "terms" not in node:
            annotation = Term  # a quantity written inline is its one term
        if _is_model(annotation) and annotation is Figure and not isinstance(node, dict):
            node = {} if node is MISSING else {"value": node}  # a bare-number figure
        if _is_model(annotation):
            fields = annotation.model_fields
            if not isinstance(part, str) or part not in fields:
                raise PathError(f"'{_where(parts, i)}' has no field '{part}'"
                                f"{_suggest(part, fields)}")
            annotation = fields[part].annotation
            node = node.get(part, MISSING) if isinstance(node, dict) else MISSING
            continue
        origin = get_origin(annotation)
        if origin is dict:
            names = _named_keys(annotation)
            have = list(node) if isinstance(node, dict) else []
            if str(part) not in have:
                if names is None:
                    hint = _suggest(part, have) or (
                        f" (it has {', '.join(map(str, have[:8]))}{', …' if len(have) > 8 else ''})"
                        if have else f" ({_where(parts, i)} is empty)")
                    raise PathError(f"no '{part}' in {_where(parts, i)}{hint}")
                if str(part) not in names:
                    raise PathError(f"'{part}' is not one of {', '.join(names)} (in "
                                    f"{_where(parts, i)}){_suggest(part, names)}")
            annotation = get_args(annotation)[1]
            node = node.get(str(part), MISSING) if isinstance(node, dict) else MISSING
            continue
        if origin is list:
            size = len(node) if isinstance(node, list) else 0
            if not isinstance(part, int) or not 0 <= part < size:
                raise PathError(f"'{_where(parts, i)}' is a list of {size} item(s); "
                                f"'{part}' is not one of its positions 0..{max(size - 1, 0)}")
            annotation = get_args(annotation)[0]
            node = node[part]
            continue
        raise PathError(f"'{_where(parts, i)}' is a single value; it has no field '{part}'")
    return parts, _leaf_info(path, annotation)


def check_path(data: dict, path: str) -> FieldInfo:
    """The field a path names (raises ``PathError`` with the wrong segment and a suggestion)."""
    return resolve(data, path)[1]


def set_path(data: dict, path: str, value: object) -> None:
    """Set (or, with ``None``, remove) the field at ``path`` in plain scenario data, in place.

    A figure written as a mapping (``{value: …, source: …}``) keeps its provenance and takes
    the new value; mappings missing on the way (a default ``settings``, an absent ``range``)
    are created.
    """
    parts, _info = resolve(data, path)
    node: Any = data
    for part in parts[:-1]:
        child = node[part] if isinstance(node, list) else node.get(part, MISSING)
        if child is MISSING or child is None:
            if value is None:
                return  # removing something that is not there: nothing to do
            child = {}
            node[part] = child
        elif not isinstance(child, dict | list):
            # a bare-number figure that gets a field: it becomes a mapping
            child = {"value": child}
            node[part] = child
        node = child
    last = parts[-1]
    if isinstance(node, list):
        node[last] = value
        return
    if value is None:
        node.pop(last, None)
    elif isinstance(node.get(last), dict) and "value" in node[last] and not isinstance(
            value, dict):
        node[last] = {**node[last], "value": value}
    else:
        node[last] = value


def effective_value(data: dict, spec: ScenarioSpec, path: str) -> Any:
    """The value a path has in a scenario: as written, or the schema's default where the file
    leaves it out; a figure's number for a figure; ``MISSING`` if the field is absent and has
    no default (an unwritten category figure, an absent ``range``)."""
    parts, _ = resolve(data, path)
    node: Any = data
    for part in parts:
        if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int)):
            node = node[part]
        else:
            return _spec_value(spec, parts)
    if isinstance(node, dict) and "value" in node and _is_figure_path(data, parts):
        return node["value"]
    return node


def _is_figure_path(data: dict, parts: list[str | int]) -> bool:
    annotation: Any = ScenarioSpec
    node: Any = data
    for part in parts:
        annotation = _unwrap(annotation, node)
        if annotation is Quantity and isinstance(node, dict) and "terms" not in node:
            annotation = Term
        if _is_model(annotation):
            annotation = annotation.model_fields[str(part)].annotation
        else:
            annotation = get_args(annotation)[-1]
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) else None)
    return _unwrap(annotation, node) is Figure


def _spec_value(spec: ScenarioSpec, parts: list[str | int]) -> Any:
    node: Any = spec
    for part in parts:
        if isinstance(node, Quantity) and part != "terms":
            node = node.terms[0]
        if isinstance(node, BaseModel):
            node = getattr(node, str(part), MISSING)
        elif isinstance(node, dict):
            node = node.get(str(part), MISSING)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return MISSING
        if node is MISSING or node is None:
            return MISSING if node is MISSING else None
    if isinstance(node, Figure):
        return node.value
    if isinstance(node, BaseModel):
        return node.model_dump(mode="json", exclude_defaults=True)
    return node
