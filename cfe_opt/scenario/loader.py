"""Load a scenario file: safe YAML → ``extends`` resolved → schema → cross-reference checks.

``extends: other.yaml`` (a path relative to the extending file) starts from that scenario and
overrides it: mappings merge key by key, any other value (a number, a list) replaces the base's,
and ``null`` removes a key. Extended files must lie inside the models tree: the folder given as
``models_root`` (the CLI's ``--models-root``), else the nearest ancestor folder named ``models``
of the first file, else that file's own folder (with its subfolders). Paths are compared after
resolving symbolic links, so a link cannot lead out of the tree.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.scenario.schema import ScenarioSpec
from cfe_opt.scenario.yaml_safe import Path_, format_path, read_yaml

MAX_EXTENDS_DEPTH = 16

# Fields that hold text wherever they appear: a plain scalar there keeps the characters written
# (``name: 1999``, ``description: no``, ``note: 1e3``), instead of becoming a number or boolean.
TEXT_FIELDS = frozenset({"name", "description", "source", "note", "confidence"})


def is_text_field(path: Path_) -> bool:
    """Whether the scenario field at ``path`` is free text (see TEXT_FIELDS; ``sources.ID``)."""
    if len(path) == 2 and path[0] == "sources":
        return True
    return bool(path) and isinstance(path[-1], str) and path[-1] in TEXT_FIELDS


@dataclass(frozen=True)
class Origin:
    """Where a field was written: file and line."""

    file: str
    line: int | None


@dataclass(frozen=True)
class SourceMap:
    """For each field path of the merged scenario, the file and line that set it."""

    origins: dict[Path_, Origin] = field(default_factory=dict)
    top: str = ""

    def locate(self, path: Path_) -> Origin:
        """The origin of the deepest written prefix of ``path``."""
        for cut in range(len(path), -1, -1):
            origin = self.origins.get(tuple(path[:cut]))
            if origin is not None:
                return origin
        return Origin(self.top, None)

    def error(self, path: Path_, reason: str) -> ScenarioError:
        origin = self.locate(path)
        return ScenarioError(origin.file, format_path(path), reason, line=origin.line)


@dataclass(frozen=True)
class RawScenario:
    data: dict[str, Any]
    source_map: SourceMap
    files: tuple[str, ...]
    root: Path


def models_root(path: Path) -> Path:
    """The nearest ancestor folder named ``models``, else the file's own folder."""
    resolved = _resolve(path, display_name(path), "")
    for parent in resolved.parents:
        if parent.name == "models":
            return parent
    return resolved.parent


def _resolve(path: Path, display: str, field_name: str, line: int | None = None,
             shown: str | None = None) -> Path:
    """``path.resolve()``, with a symbolic-link loop or an unreadable path as a one-line error."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a link loop (3.11, 3.12)
        loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
        reason = "symbolic link loop" if loop else (getattr(exc, "strerror", None) or str(exc))
        what = f"'{shown}' cannot be read" if shown is not None else "cannot read file"
        raise ScenarioError(display, field_name, f"{what} ({reason})", line=line) from None


def display_name(path: Path) -> str:
    """The path as the user would recognise it: relative to the working folder if inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def read_raw(path: Path | str, root: Path | None = None) -> RawScenario:
    """Read a scenario file and everything it extends, merged, with each field's origin."""
    path = Path(path)
    display = display_name(path)
    if root is not None:
        given = root
        root = _resolve(Path(root), display, "")
        if not root.is_dir():
            raise ScenarioError(display, "", f"--models-root {given}: not a folder")
        if not _resolve(path, display, "").is_relative_to(root):
            raise ScenarioError(display, "", f"the scenario lies outside the models tree "
                                f"{display_name(root)} (--models-root)")
    else:
        root = models_root(path)
    chain: list[tuple[Path, Any]] = []
    seen: list[Path] = []
    current = path
    while True:
        resolved = _resolve(current, display, "")
        if resolved in seen:
            cycle = " → ".join(display_name(p) for p in [*seen, resolved])
            raise ScenarioError(display, "extends", f"extends forms a cycle: {cycle}")
        if len(seen) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(display, "extends", f"more than {MAX_EXTENDS_DEPTH} levels "
                                "of extends")
        seen.append(resolved)
        doc = read_yaml(current, display, keep_text=is_text_field)
        if not isinstance(doc.data, dict):
            raise ScenarioError(display, "", "a scenario file must be a mapping of fields")
        chain.append((current, doc))
        target = doc.data.get("extends")
        if target is None:
            break
        line = doc.lines.get(("extends",))
        if not isinstance(target, str) or not target.strip():
            raise ScenarioError(display, "extends", "must be a file path (text)", line=line)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or len(target) > 1000:
            raise ScenarioError(display, "extends", "must be a plain file path (no control "
                                "characters, at most 1,000 characters)", line=line)
        target_path = Path(target)
        if target_path.is_absolute():
            raise ScenarioError(display, "extends", f"'{target}' is an absolute path; give a "
                                "path relative to this file", line=line)
        nxt = _resolve(current.parent / target_path, display, "extends", line, shown=target)
        try:
            inside = nxt.is_relative_to(root)
            mode = nxt.stat().st_mode if nxt.exists() else None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ScenarioError(display, "extends", f"'{target}' cannot be read ({reason})",
                                line=line) from None
        if not inside:
            raise ScenarioError(display, "extends", f"'{target}' resolves outside the models "
                                f"tree ({display_name(root)})", line=line)
        if mode is not None and stat.S_ISDIR(mode):
            raise ScenarioError(display, "extends", f"'{target}' is a folder, not a scenario "
                                "file", line=line)
        if mode is None:
            raise ScenarioError(display, "extends", f"'{target}' does not exist", line=line)
        if not stat.S_ISREG(mode):
            raise ScenarioError(display, "extends", f"'{target}' is not a regular file (a FIFO "
                                "or device); a scenario is a YAML text file", line=line)
        if nxt in seen:
            cycle = " → ".join(display_name(p) for p in [*seen, nxt])
            raise ScenarioError(display, "extends", f"extends forms a cycle: {cycle}", line=line)
        current = nxt
        display = display_name(nxt)

    data: dict[str, Any] = {}
    origins: dict[Path_, Origin] = {}
    for _, doc in reversed(chain):
        # a file's cases are its own: a file that extends it does not inherit them
        own = doc is chain[0][1]
        overlay = {k: v for k, v in doc.data.items()
                   if k != "extends" and (own or k != "cases")}
        data = _merge(data, overlay, (), doc, origins)
    return RawScenario(
        data=data,
        source_map=SourceMap(origins, top=chain[0][1].file),
        files=tuple(doc.file for _, doc in chain),
        root=root,
    )


def _merge(base: Any, overlay: Any, path: Path_, doc: Any, origins: dict[Path_, Origin]) -> Any:
    """Overlay onto base: mappings merge, other values replace, ``None`` deletes a key."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            sub = (*path, key)
            if value is None and key in out:
                del out[key]
                _forget(origins, sub)
                # a field removed here is this file's doing (e.g. a required field now missing)
                origins[sub] = Origin(doc.file, doc.lines.get(sub))
                continue
            out[key] = _merge(out.get(key), value, sub, doc, origins)
        return out
    _forget(origins, path)
    _record(overlay, path, doc, origins)
    return overlay


def _forget(origins: dict[Path_, Origin], prefix: Path_) -> None:
    n = len(prefix)
    for key in [k for k in origins if k[:n] == prefix]:
        del origins[key]


def _record(value: Any, path: Path_, doc: Any, origins: dict[Path_, Origin]) -> None:
    origins[path] = Origin(doc.file, doc.lines.get(path))
    if isinstance(value, dict):
        for key, sub in value.items():
            _record(sub, (*path, key), doc, origins)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _record(sub, (*path, i), doc, origins)


def content_sha256(data: Any) -> str:
    """A digest of the merged scenario content (independent of formatting and file layout)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_spec(raw: RawScenario) -> ScenarioSpec:
    """Validate the merged data against the schema; all errors at once, one line each."""
    try:
        return ScenarioSpec.model_validate(raw.data)
    except ValidationError as exc:
        errors = [_convert(err, raw) for err in exc.errors(include_url=False)]
        unique: dict[str, ScenarioError] = {}
        for err in errors:
            unique.setdefault(str(err), err)
        raise ScenarioErrors(list(unique.values())) from None


def _convert(err: Any, raw: RawScenario) -> ScenarioError:
    kind = err["type"]
    path = _user_path(tuple(err["loc"]), raw.data, keep_missing_last=kind == "missing")
    given = path[-1] if "[key]" in err["loc"] and path else _walk(raw.data, path)
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        hint = difflib.get_close_matches(name, _all_field_names(), n=1)
        reason = f"unknown field '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    elif kind == "missing":
        reason = "required field is missing"
    else:
        reason = err["msg"]
        reason = reason[0].lower() + reason[1:] if reason else "invalid value"
        reason = reason.replace("Value error, ", "").replace("value error, ", "")
        reason = re.sub(r" or instance of \w+", "", reason)
        if _is_scalar(given):
            shown = repr(given)
            reason += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return raw.source_map.error(path, reason)


_MISSING = object()


def _walk(data: Any, path: Path_) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return _MISSING
    return data


def _is_scalar(value: Any) -> bool:
    return value is not _MISSING and not isinstance(value, dict | list)


def _user_path(loc: tuple[Any, ...], data: Any, keep_missing_last: bool = True) -> Path_:
    """Map pydantic's location to the path as written in the file.

    Pydantic's path includes steps the user did not write: a discriminator tag, the ``terms``
    list of an inline quantity, the ``value`` of a bare-number figure, ``[key]`` markers. Walk
    the raw data and keep the steps that exist in it (and a missing last step, for 'missing').
    """
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]":
            continue
        if isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
            elif last and keep_missing_last:
                out.append(part)
        elif isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                out.append(part)
                node = node[part]
        else:
            break  # a scalar: the rest of the path is normalisation
    return tuple(out)


_FIELD_NAMES: list[str] = []


def _all_field_names() -> list[str]:
    if not _FIELD_NAMES:
        seen: set[str] = set()
        stack: list[type[BaseModel]] = [ScenarioSpec]
        visited: set[type] = set()
        while stack:
            model = stack.pop()
            if model in visited:
                continue
            visited.add(model)
            for name, info in model.model_fields.items():
                seen.add(name)
                stack.extend(_models_in(info.annotation))
        _FIELD_NAMES.extend(sorted(seen))
    return _FIELD_NAMES


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    for meta in getattr(annotation, "__metadata__", ()) or ():
        found.extend(_models_in(meta))
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        found.extend(_models_in(origin) if isinstance(origin, type) else [])
    return found
