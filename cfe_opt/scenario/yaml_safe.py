"""Read a YAML file as plain data, safely, remembering the line of every field.

Scenario files are data, so the reader is stricter than ``yaml.safe_load``:
- only plain tags (mapping, sequence, string, integer, float, boolean, null); anything else,
  ``!!python/object`` included, is refused;
- anchors and aliases are refused (they allow "billion laughs" expansion; use ``extends`` instead);
- duplicate keys are refused (YAML silently keeps the last one);
- size, node count and nesting depth are capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cfe_opt.errors import ScenarioError

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 500_000
MAX_DEPTH = 40

_PLAIN_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"

Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """The data of one file and the line (1-based) where each field path is written."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors and aliases at composition time."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark.line + 1, "YAML aliases (*name) are not allowed in "
                           "scenario files; use 'extends' to reuse a scenario")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(event.start_mark.line + 1, f"YAML anchors (&{anchor}) are not allowed "
                           "in scenario files; use 'extends' to reuse a scenario")
        return super().compose_node(parent, index)


class _Refused(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def read_yaml(path: Path, display: str) -> YamlDocument:
    """Parse ``path``; every problem becomes a one-line ``ScenarioError`` naming ``display``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read file ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(display, "", f"file is {size:,} bytes; the limit is "
                            f"{MAX_FILE_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(display, "", "file is not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read file ({exc.strerror or exc})") from None

    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        raise ScenarioError(display, "", exc.reason, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        reason = (exc.problem or "invalid YAML").strip()
        raise ScenarioError(display, "", f"invalid YAML: {reason}", line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(display, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError(display, "", "file is empty")

    doc = YamlDocument(file=display, data=None)
    builder = _Builder(loader, doc)
    doc.data = builder.build(node, (), 0)
    return doc


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.count = 0

    def fail(self, node: yaml.Node, path: Path_, reason: str) -> ScenarioError:
        return ScenarioError(self.doc.file, format_path(path), reason,
                             line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, path, f"file has more than {MAX_NODES:,} YAML nodes")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files "
                                "are plain data)")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == (
                    "tag:yaml.org,2002:merge"
                ):
                    raise self.fail(key_node, path, "mapping keys must be plain names")
                key = self.scalar(key_node, path)
                if not isinstance(key, str):
                    key = key_node.value  # "1990:" or "yes:" as a key is its text
                if key in out:
                    raise self.fail(key_node, (*path, key), "duplicate key (YAML would silently "
                                    "keep only the last one)")
                self.doc.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files "
                                "are plain data)")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            return node.value
        if node.tag not in _PLAIN_SCALAR_TAGS:
            raise self.fail(node, path, f"unsupported YAML tag '{node.tag}' (scenario files are "
                            "plain data)")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, path, f"invalid value: {exc}") from None


def format_path(path: Path_) -> str:
    """``("parties", "RUS", "holdings", "acv")`` → ``parties.RUS.holdings.acv``; items as [i]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
